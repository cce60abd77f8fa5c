/**
 * Where a model lives and how its files are read: an MLflow model directory or a single
 * model file, on S3 or on the local disk.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { GetObjectCommand, type GetObjectCommandOutput, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { MODEL_LIMITS } from './limits';

/**
 * A model's location as configured: an S3 bucket and key or prefix, or a local path. Whether
 * it names a directory or a single file is found out when it is opened.
 */
export type ModelLocation = { kind: 's3'; bucket: string; path: string } | { kind: 'local'; path: string };

export function describeLocation(location: ModelLocation): string {
  return location.kind === 's3' ? `s3://${location.bucket}/${location.path}` : location.path;
}

/** Reads one file of a model directory; undefined when it does not exist. */
export type ReadModelFile = (name: string) => Promise<Uint8Array | undefined>;

/**
 * The files of a model directory, as paths relative to it, its own and those of its
 * subdirectories one level down (an MLflow run's artifacts: `models_mlflow/MLmodel`,
 * `preprocessor/preprocessor.b`); at most MAX_LISTED_FILES of them.
 */
export type ListModelFiles = () => Promise<string[]>;

/** Beyond this many files, a directory is no model's: its listing stops there. */
export const MAX_LISTED_FILES = 1000;

/** What a location holds: one model file (a pickle, a model.json), or a directory read file by file. */
export type ModelSource =
  | { kind: 'file'; where: string; name: string; bytes: Uint8Array }
  | { kind: 'directory'; where: string; read: ReadModelFile; list: ListModelFiles };

const MiB = 2 ** 20;

/** A model file's size, refused before it is read when it is beyond any model's. */
function checkSize(size: number, where: string): void {
  if (size > MODEL_LIMITS.fileBytes) {
    throw new Error(
      `${where} is ${Math.ceil(size / MiB)} MiB, beyond the ${MODEL_LIMITS.fileBytes / MiB} MiB a model file may be (docs/model-format.md, Limits)`,
    );
  }
}

/** What a file that is not a regular one is, for the message. */
function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * A local file, or undefined when there is none. Only a regular file is read: opened without
 * blocking (a FIFO would block the open), checked on the opened descriptor (not the path, which
 * could change between the check and the read), and read no further than its size allows.
 */
async function readLocal(path: string): Promise<Uint8Array | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw new Error(`${path} is ${fileKind(stats)}, not a regular file: only a regular model file is read`);
    checkSize(stats.size, path);
    // Room for one byte more than its size: a file that grows as it is read is refused, not read without end.
    const bytes = new Uint8Array(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(bytes, length, bytes.length - length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > stats.size) throw new Error(`${path} grew while it was read`);
    }
    return bytes.subarray(0, length);
  } finally {
    await file.close();
  }
}

/** A local directory's files and its subdirectories' files, relative to it. */
async function listLocal(directory: string): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (files.length >= MAX_LISTED_FILES) break;
    if (entry.isFile()) files.push(entry.name);
    else if (entry.isDirectory()) {
      const inner = await readdir(join(directory, entry.name), { withFileTypes: true }).catch(() => []);
      for (const file of inner) if (file.isFile() && files.length < MAX_LISTED_FILES) files.push(`${entry.name}/${file.name}`);
    }
  }
  return files.sort();
}

/** The files of an S3 "directory" from its listing: keys under the prefix, at most one level of subdirectory down. */
async function listS3(listing: Promise<Set<string> | Error>, prefix: string): Promise<string[]> {
  const keys = await listing;
  if (keys instanceof Error) throw keys;
  return [...keys]
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length))
    .filter((name) => name !== '' && !name.endsWith('/') && name.split('/').length <= 2)
    .sort()
    .slice(0, MAX_LISTED_FILES);
}

/**
 * The keys under a prefix (a model directory holds a handful), or the error that listing them
 * met. A prefix of more than MAX_LISTED_FILES keys is no model's: the listing stops there, and
 * then proves nothing missing.
 */
async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<Set<string> | Error> {
  const keys = new Set<string>();
  try {
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.add(object.Key);
      token = page.NextContinuationToken;
      if (keys.size >= MAX_LISTED_FILES && token) return new Error(`more than ${MAX_LISTED_FILES} objects under s3://${bucket}/${prefix}`);
    }
    return keys;
  } catch (error) {
    return error as Error;
  }
}

/**
 * An S3 object, or undefined when there is none. S3 answers a missing key with 404 only to a
 * caller allowed to list the bucket; a role that may list just the model's prefix can get
 * 403 instead. So the prefix is listed alongside, and a failed read of a key the listing does
 * not hold means the file is not there. The read does not wait for the listing.
 */
async function readObject(
  s3: S3Client,
  bucket: string,
  key: string,
  listing: Promise<Set<string> | Error>,
): Promise<Uint8Array | undefined> {
  let object: GetObjectCommandOutput;
  try {
    object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    const keys = await listing;
    if (keys instanceof Set && !keys.has(key)) return undefined;
    throw error;
  }
  return readBody(object, `s3://${bucket}/${key}`);
}

/** An object's body, its ContentLength checked before it is read and the read stopped past the limit whatever it says. */
async function readBody(object: GetObjectCommandOutput, where: string): Promise<Uint8Array> {
  const body = object.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  if (body === undefined) return new Uint8Array(0);
  try {
    if (object.ContentLength !== undefined) checkSize(object.ContentLength, where);
    const chunks: Uint8Array[] = [];
    let length = 0;
    for await (const chunk of body) {
      length += chunk.length;
      checkSize(length, where);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, length);
  } finally {
    body.destroy?.();
  }
}

/**
 * Opens a location. A local path is a file or a directory; an S3 URI that ends with `/`
 * (MLflow's `.../artifacts/model/`) is a directory, and any other names an object when
 * there is one and a directory otherwise.
 */
export async function openModelSource(location: ModelLocation, s3: () => S3Client): Promise<ModelSource> {
  const where = describeLocation(location);
  if (location.kind === 'local') {
    // Anything but a directory is read as a file, so that a FIFO or a device is refused by name.
    const isFile = await stat(location.path).then(
      (s) => !s.isDirectory(),
      () => false, // not there: read as a directory, whose files are then all missing
    );
    const bytes = isFile ? await readLocal(location.path) : undefined;
    if (bytes !== undefined) return { kind: 'file', where, name: basename(location.path), bytes };
    return { kind: 'directory', where, read: (name) => readLocal(join(location.path, name)), list: () => listLocal(location.path) };
  }
  const client = s3();
  const { bucket, path } = location;
  // One listing of the path serves both questions: is it an object, and which files does the directory hold.
  const listing = listKeys(client, bucket, path);
  if (path !== '' && !path.endsWith('/')) {
    const bytes = await readObject(client, bucket, path, listing);
    if (bytes !== undefined) return { kind: 'file', where, name: basename(path), bytes };
  }
  const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
  return {
    kind: 'directory',
    where: `s3://${bucket}/${prefix}`,
    read: (name) => readObject(client, bucket, prefix + name, listing),
    list: () => listS3(listing, prefix),
  };
}
