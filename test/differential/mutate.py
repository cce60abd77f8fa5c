"""Opcode-level mutants of real model pickles, and what Python's pickle and scikit-learn make of each.

    python3 mutate.py generate CONFIG.json   # write the mutants (pickletools only: any Python 3.11)
    python3 mutate.py judge CONFIG.json      # write them, and Python's verdict on each (needs scikit-learn)

CONFIG.json: {"sources": [{"name", "path"}], "seed", "count", "out", "rides": [feature dicts],
"allowed": [qualified names the runtime allowlists]}. Mutant i is made from source i % len(sources)
with random.Random(f"{seed}:{i}"), so a run is reproducible and a mutant is named by (seed, i).
`out` gets mutant-<i>.pkl and mutants.json: [{"index", "source", "mutation", "sha256", "python"}],
where "python" (judge only) is {"predictions": [...]} or {"error": "..."}.

Python loads a mutant with a restricted Unpickler whose find_class allows only the runtime's
allowlist, checked by name before anything is imported (a mutated GLOBAL could name anything), then
predicts as the runtime would serve it: a Pipeline's predict, or model.predict(dv.transform(rides))
of a (dv, model) tuple. Each mutant is judged in a forked child with a time limit: a mutant that
makes scikit-learn hang or crash is one Python cannot serve.
"""
import hashlib
import io
import json
import math
import os
import pickle
import pickletools
import random
import signal
import struct
import sys

OPS = {op.name: op for op in pickletools.opcodes}
INT_OPS = ("BININT1", "BININT2", "BININT", "LONG1")
STRING_OPS = ("SHORT_BINUNICODE", "BINUNICODE")
DTYPE_STRINGS = ("<", ">", "|", "=", "f8", "f4", "i8", "i4", "u1", "b1", "O8", "V56", "V64", "V8")


def encode(name, arg=None):
    """One opcode with its argument, as a pickler would write it."""
    code = OPS[name].code.encode("latin-1")
    if name in ("BININT1", "BINPUT", "BINGET", "PROTO"):
        return code + bytes([arg])
    if name == "BININT2":
        return code + struct.pack("<H", arg)
    if name == "BININT":
        return code + struct.pack("<i", arg)
    if name in ("LONG_BINPUT", "LONG_BINGET"):
        return code + struct.pack("<I", arg)
    if name == "LONG1":
        data = pickle.encode_long(arg)
        return code + bytes([len(data)]) + data
    if name == "BINFLOAT":
        return code + struct.pack(">d", arg)
    if name == "SHORT_BINUNICODE":
        data = arg.encode("utf-8", "surrogatepass")
        return code + bytes([len(data)]) + data
    if name == "BINUNICODE":
        data = arg.encode("utf-8", "surrogatepass")
        return code + struct.pack("<I", len(data)) + data
    if name == "SHORT_BINBYTES":
        return code + bytes([len(arg)]) + arg
    if name == "BINBYTES":
        return code + struct.pack("<I", len(arg)) + arg
    if name == "BYTEARRAY8":
        return code + struct.pack("<Q", len(arg)) + arg
    if name in ("INT", "LONG", "FLOAT", "PUT", "GET"):
        return code + arg.encode("ascii") + b"\n"
    if name == "UNICODE":
        return code + arg.encode("raw-unicode-escape") + b"\n"
    if name == "STRING":
        return code + arg.encode("latin-1") + b"\n"
    if name == "SHORT_BINSTRING":
        return code + bytes([len(arg)]) + arg
    return code


def int_op(value):
    if 0 <= value < 256:
        return encode("BININT1", value)
    if 0 <= value < 65536:
        return encode("BININT2", value)
    if -(2**31) <= value < 2**31:
        return encode("BININT", value)
    return encode("LONG1", value)


def new_int(rng, value):
    return rng.choice([0, 1, -1, 2, 3, 7, 255, 256, 65535, 2**31 - 1, -(2**31), 2**40, -(2**40), 2**53 + 1, 2**64, value + 1, value - 1, 2 * value, -value])


def text_forms(rng, value):
    """INT and LONG texts Python's pickler would not write, and the ones it would."""
    return rng.choice([str(value), f"0x{value:x}" if value >= 0 else str(value), f"0{value}", f" {value}", f"{value}_0", "01", "00", f"+{value}", f"{value}L"])


def mutate(data, rng):
    """One mutation of the opcode stream; returns (bytes, description). FRAMEs are dropped (their lengths would be wrong)."""
    ops = [(op, arg, pos) for op, arg, pos in pickletools.genops(data)]
    spans = []
    for i, (op, arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else len(data)
        spans.append(data[pos:end])
    out = [None if op.name == "FRAME" else span for (op, _, _), span in zip(ops, spans)]
    where = lambda names: [i for i, (op, _, _) in enumerate(ops) if op.name in names]
    memo_gets = where(("BINGET", "LONG_BINGET"))
    kinds = ["int", "float", "string", "swap", "memo", "build", "dtype", "bytes", "text"]
    kind = rng.choice(kinds)
    describe = kind
    if kind == "int":
        i = rng.choice(where(INT_OPS))
        value = new_int(rng, ops[i][1])
        out[i] = int_op(value)
        describe = f"int at op {i}: {ops[i][1]} -> {value}"
    elif kind == "float":
        i = rng.choice(where(("BINFLOAT",)))
        value = rng.choice([0.0, -0.0, 1.0, math.nan, math.inf, -ops[i][1], 2 * ops[i][1], ops[i][1] + 1e-12, 1e300])
        out[i] = encode("BINFLOAT", value)
        describe = f"float at op {i}: {ops[i][1]!r} -> {value!r}"
    elif kind == "string":
        i = rng.choice(where(STRING_OPS))
        strings = [ops[j][1] for j in where(STRING_OPS)]
        old = ops[i][1]
        value = rng.choice(["\ufeff" + old, old + "\ufeff", old[:-1], old + "x", "", rng.choice(strings), old.upper(), "__proto__", "length"])
        out[i] = encode("SHORT_BINUNICODE" if len(value.encode("utf-8")) < 256 else "BINUNICODE", value)
        describe = f"string at op {i}: {old[:40]!r} -> {value[:40]!r}"
    elif kind == "swap":
        swaps = {
            "TUPLE1": ["LIST", "EMPTY_LIST"], "TUPLE2": ["TUPLE3", "TUPLE1"], "TUPLE3": ["TUPLE2"], "TUPLE": ["LIST", "DICT"],
            "EMPTY_TUPLE": ["EMPTY_LIST", "EMPTY_DICT"], "EMPTY_LIST": ["EMPTY_TUPLE", "EMPTY_DICT"], "EMPTY_DICT": ["EMPTY_LIST"],
            "NEWTRUE": ["NEWFALSE", "NONE"], "NEWFALSE": ["NEWTRUE", "NONE"], "NONE": ["NEWFALSE", "EMPTY_TUPLE"],
            "SETITEMS": ["APPENDS", "TUPLE"], "APPENDS": ["SETITEMS", "LIST"], "REDUCE": ["NEWOBJ", "BUILD"], "NEWOBJ": ["REDUCE"],
            "BUILD": ["POP", "SETITEM"], "MEMOIZE": ["POP", "DUP"], "MARK": ["POP"], "STOP": ["POP"],
        }
        i = rng.choice(where(tuple(swaps)))
        name = rng.choice(swaps[ops[i][0].name])
        out[i] = encode(name)
        describe = f"swap at op {i}: {ops[i][0].name} -> {name}"
    elif kind == "memo" and memo_gets:
        i = rng.choice(memo_gets)
        value = rng.choice([ops[j][1] for j in memo_gets] + [ops[i][1] + 1, ops[i][1] - 1, 10**6])
        out[i] = encode("LONG_BINGET", max(value, 0))
        describe = f"memo reference at op {i}: {ops[i][1]} -> {value}"
    elif kind == "build":
        i = rng.choice(where(("BUILD",)))
        strings = [ops[j][1] for j in where(STRING_OPS)]
        choice = rng.randrange(4)
        if choice == 0:  # a second BUILD on the object
            out[i] = spans[i] + encode("EMPTY_DICT") + encode("BUILD")
            describe = f"second BUILD after op {i}"
        elif choice == 1:  # an attribute set to another value
            key = rng.choice(strings)
            value = rng.choice([encode("NONE"), int_op(rng.choice([0, 1, 3, 10**6])), encode("BINFLOAT", 0.5), encode("EMPTY_LIST"), encode("EMPTY_TUPLE")] + [encode("LONG_BINGET", ops[j][1]) for j in memo_gets[:50]])
            out[i] = encode("SHORT_BINUNICODE", key) + value + encode("SETITEM") + spans[i]
            describe = f"state key {key[:40]!r} set before BUILD at op {i}"
        elif choice == 2:  # a state that is not a dict
            out[i] = encode("POP") + rng.choice([encode("EMPTY_LIST"), encode("NONE"), encode("EMPTY_TUPLE")]) + spans[i]
            describe = f"a non-dict state for BUILD at op {i}"
        else:  # a state key that is not an attribute name
            key = rng.choice(["length", "not a name", "0", "__class__", "a.b"])
            out[i] = encode("SHORT_BINUNICODE", key) + encode("NONE") + encode("SETITEM") + spans[i]
            describe = f"state key {key!r} before BUILD at op {i}"
    elif kind == "dtype":
        candidates = [j for j in where(STRING_OPS) if ops[j][1] in DTYPE_STRINGS]
        if candidates:
            i = rng.choice(candidates)
            value = rng.choice(DTYPE_STRINGS)
            out[i] = encode("SHORT_BINUNICODE", value)
            describe = f"dtype string at op {i}: {ops[i][1]!r} -> {value!r}"
        else:
            describe = "dtype: none"
        # The dtype's elsize, alignment and flags are small ints near it.
        if candidates and rng.random() < 0.5:
            near = [j for j in where(INT_OPS) if abs(j - i) < 12]
            if near:
                k = rng.choice(near)
                value = rng.choice([-1, 0, 1, 4, 8, 16, 56, 63, 64, 128])
                out[k] = int_op(value)
                describe += f"; int at op {k}: {ops[k][1]} -> {value}"
    elif kind == "bytes":
        i = rng.choice(where(("SHORT_BINBYTES", "BINBYTES", "BYTEARRAY8")))
        payload = bytearray(ops[i][1])
        if payload:
            at = rng.randrange(len(payload))
            payload[at] = rng.randrange(256)
        name = ops[i][0].name
        out[i] = encode(name, bytes(payload))
        describe = f"a byte of the {name} at op {i}"
    else:  # text: an int or float written with a protocol-0 opcode, in forms Python's pickler may not write
        i = rng.choice(where(INT_OPS + ("BINFLOAT",)))
        op, value = ops[i][0].name, ops[i][1]
        if op == "BINFLOAT":
            text = rng.choice([repr(value), repr(value) + " ", "1e999", "nan", "inf", "1_0.5", repr(value).upper()])
            out[i] = encode("FLOAT", text)
        else:
            text = text_forms(rng, value)
            out[i] = encode(rng.choice(["INT", "LONG"]), text)
        describe = f"text number at op {i}: {value!r} -> {text!r}"
    return b"".join(span for span in out if span is not None), describe


def restricted_loads(data, allowed):
    import numpy

    numpy1 = int(numpy.__version__.split(".")[0]) < 2

    class Restricted(pickle.Unpickler):
        def find_class(self, module, name):
            qualified = f"{module}.{name}"
            mapped = "builtins." + name if module == "__builtin__" else qualified
            if qualified not in allowed and mapped not in allowed:
                raise pickle.UnpicklingError(f"not allowlisted: {qualified}")
            # numpy 1 reads numpy 2's module names as numpy.core (numpy 2 reads numpy.core itself).
            if numpy1 and module.startswith("numpy._core"):
                module = "numpy.core" + module[len("numpy._core"):]
            return super().find_class(module, name)

    return Restricted(io.BytesIO(data)).load()


def number(value):
    """A prediction for JSON: non-finite ones as the text JavaScript's Number() reads."""
    value = float(value)
    return value if math.isfinite(value) else {math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN")


def predict(root, rides):
    from sklearn.pipeline import Pipeline

    if type(root) is Pipeline:
        return [number(v) for v in root.predict(rides)]
    if type(root) is tuple and len(root) == 2:
        dv, model = root
        return [number(v) for v in model.predict(dv.transform(rides))]
    raise TypeError(f"not a Pipeline or a (dv, model) tuple: {type(root).__name__}")


def judge(path, rides, allowed, seconds=20):
    """Python's verdict on one file, in a forked child: {"predictions": [...]} or {"error": "..."}."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        try:
            import warnings

            warnings.simplefilter("ignore")
            with open(path, "rb") as f:
                verdict = {"predictions": predict(restricted_loads(f.read(), allowed), rides)}
        except BaseException as error:  # noqa: BLE001 - any failure is Python refusing the file
            verdict = {"error": f"{type(error).__name__}: {str(error)[:200]}"}
        os.write(write, json.dumps(verdict).encode())
        os._exit(0)
    os.close(write)
    signal.signal(signal.SIGALRM, lambda *_: os.kill(child, signal.SIGKILL))
    signal.alarm(seconds)
    chunks = []
    while chunk := os.read(read, 1 << 20):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(child, 0)
    signal.alarm(0)
    if not chunks:
        return {"error": f"the Python process died (status {status}): a hang or a crash"}
    return json.loads(b"".join(chunks))


def main():
    mode, config_path = sys.argv[1], sys.argv[2]
    config = json.load(open(config_path))
    sources = [(s["name"], open(s["path"], "rb").read()) for s in config["sources"]]
    out = config["out"]
    os.makedirs(out, exist_ok=True)
    allowed = set(config.get("allowed", []))
    if mode == "judge":
        # Imported once, before the forks: a child then only unpickles and predicts.
        import importlib

        import sklearn.pipeline  # noqa: F401

        for qualified in allowed:
            try:
                importlib.import_module(qualified.rsplit(".", 1)[0])
            except ImportError:
                pass  # another version's module (numpy._core in numpy 1, a loss of another scikit-learn)
    results = []
    for index in range(config["count"]):
        name, data = sources[index % len(sources)]
        rng = random.Random(f"{config['seed']}:{index}")
        for attempt in range(20):
            try:
                mutant, mutation = mutate(data, rng)
                break
            except IndexError:  # the chosen kind of opcode is not in this pickle: draw again
                rng = random.Random(f"{config['seed']}:{index}:{attempt}")
        path = os.path.join(out, f"mutant-{index}.pkl")
        with open(path, "wb") as f:
            f.write(mutant)
        result = {"index": index, "source": name, "mutation": mutation, "sha256": hashlib.sha256(mutant).hexdigest()}
        if mode == "judge":
            result["python"] = judge(path, config["rides"], allowed)
        results.append(result)
    json.dump(results, open(os.path.join(out, "mutants.json"), "w"))


if __name__ == "__main__":
    main()
