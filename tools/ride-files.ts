/**
 * Training rides as users have them: NYC taxi records in parquet (hyparquet) or CSV
 * (csv-parse), or JSON ride events (an array, JSON lines, or a Lambda Kinesis event). Each
 * row is checked as the function checks a ride, so the profile holds exactly the rides the
 * function would predict.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { decodeRideRecord, type Ride } from '../lambda/src';
import { type FieldRule, RIDE_FIELDS, type RideField } from '../lambda/src/rides/schema';
import { RideValidator, type Validation } from '../lambda/src/rides/validate-ride';

/** The columns read: a ride's fields, as the function's schema declares them. */
export const RIDE_COLUMNS = Object.keys(RIDE_FIELDS) as RideField[];
/** The ones a ride may leave out: a file may lack the column, and a row's empty value is the field not sent. */
const OPTIONAL_COLUMNS = new Set(RIDE_COLUMNS.filter((c) => (RIDE_FIELDS[c] as FieldRule).optional));
const REQUIRED_COLUMNS = RIDE_COLUMNS.filter((c) => !OPTIONAL_COLUMNS.has(c));

export interface RideFile {
  format: 'parquet' | 'csv' | 'json';
  rows: number;
  rides: Ride[];
  /** Rows the function would refuse, by reason (the first reasons seen, with counts). */
  rejected: Map<string, number>;
}

type Row = Record<string, unknown>;

/** Reads a file of rides by its extension: .parquet, .csv, .json, .jsonl or .ndjson. */
export async function readRideFile(path: string): Promise<RideFile> {
  const extension = extname(path).toLowerCase();
  if (extension === '.parquet') return checked('parquet', await readParquet(path));
  if (extension === '.csv') return checked('csv', readCsv(path));
  if (['.json', '.jsonl', '.ndjson'].includes(extension)) return readJson(path);
  throw new Error(`${path}: expected a .parquet, .csv, .json, .jsonl or .ndjson file of rides`);
}

async function readParquet(path: string): Promise<Row[]> {
  const file = await asyncBufferFromFile(path);
  try {
    const metadata = await parquetMetadataAsync(file);
    const present = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
    const columns = RIDE_COLUMNS.filter((c) => present.has(c) || !OPTIONAL_COLUMNS.has(c));
    return (await parquetReadObjects({ file, metadata, columns, compressors })) as Row[];
  } catch (error) {
    throw new Error(`${path}: cannot read the ride columns (${REQUIRED_COLUMNS.join(', ')}): ${(error as Error).message}`);
  }
}

function readCsv(path: string): Row[] {
  const rows = parseCsv(readFileSync(path), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const missing = REQUIRED_COLUMNS.filter((c) => rows.length > 0 && !(c in rows[0]));
  if (missing.length > 0) throw new Error(`${path}: no column ${missing.join(', ')} (it has ${Object.keys(rows[0]).join(', ')})`);
  // CSV has no types: an empty field is a missing value, anything else is read as a number if it is one.
  return rows.map((row) =>
    Object.fromEntries(
      RIDE_COLUMNS.filter((c) => c in row).map((c) => [c, row[c] === '' ? null : Number.isNaN(Number(row[c])) ? row[c] : Number(row[c])]),
    ),
  );
}

/**
 * A row's ride: its fields, each as the number it holds; an optional one left out where the
 * file has no value for it (a null, an empty CSV field), as a producer not sending it would.
 */
function rideOf(row: Row): Row {
  const ride: Row = {};
  for (const c of RIDE_COLUMNS) {
    const value = asNumber(row[c]);
    if (!(OPTIONAL_COLUMNS.has(c) && (value === null || value === undefined))) ride[c] = value;
  }
  return ride;
}

/** Parquet's int64 columns come as BigInt; a ride's fields are JSON numbers. */
const asNumber = (value: unknown) => (typeof value === 'bigint' ? Number(value) : value);

const validator = new RideValidator();

/** The rides the function would accept, and the reasons of the others. */
function tally(format: RideFile['format'], results: Validation[]): RideFile {
  const rides: Ride[] = [];
  const rejected = new Map<string, number>();
  for (const result of results) {
    if (result.ok) rides.push(result.event.ride);
    else rejected.set(result.reason, (rejected.get(result.reason) ?? 0) + 1);
  }
  return { format, rows: results.length, rides, rejected };
}

function checked(format: RideFile['format'], rows: Row[]): RideFile {
  return tally(
    format,
    rows.map((row, i) => validator.validate({ ride: rideOf(row), ride_id: i })),
  );
}

/** JSON: an array or lines of ride events (or bare rides), or a Lambda Kinesis event, whose records are decoded as the function decodes them. */
function readJson(path: string): RideFile {
  const text = readFileSync(path, 'utf8');
  let items: unknown[];
  try {
    const whole = JSON.parse(text) as unknown;
    items = Array.isArray(whole) ? whole : [whole];
  } catch {
    items = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line) as unknown;
        } catch (error) {
          throw new Error(`${path}, line ${i + 1}: not JSON (${(error as Error).message})`);
        }
      });
  }
  const kinesis = items.length === 1 && Array.isArray((items[0] as { Records?: unknown }).Records);
  if (kinesis) {
    const records = (items[0] as { Records: { kinesis: { data: string } }[] }).Records;
    return tally(
      'json',
      records.map((record) => decodeRideRecord(record.kinesis.data)),
    );
  }
  const asEvent = (item: unknown, i: number) =>
    typeof item === 'object' && item !== null && 'ride' in item ? item : { ride: item, ride_id: i };
  return tally(
    'json',
    items.map((item, i) => validator.validate(asEvent(item, i))),
  );
}
