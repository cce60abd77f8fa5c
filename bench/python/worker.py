#!/usr/bin/env python3
"""One side of the benchmark in one process: the course handler, measured.

    worker.py throughput VARIANT EVENT_FILE REPS   -> median seconds per invocation (JSON)
    worker.py deliver VARIANT EVENT_FILE           -> seconds for one invocation that writes
    worker.py first-prediction EVENT_FILE          -> prints once the first prediction is back
    worker.py memory EVENT_FILE                    -> peak RSS after the model and one event
    worker.py predict EVENT_FILE REPS              -> the model alone: pipeline.predict on the
                                                      rides' feature dicts (vectorizer included)

The environment configures course_handler (RUN_ID, MODEL_LOCATION or MODEL_BUCKET, ...).
"""
import base64
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def load_event(path):
    with open(path) as f:
        return json.load(f)


def main(mode, *args):
    import course_handler  # the model loads here, as at a cold start

    handlers = {"course": course_handler.lambda_handler, "vectorized": course_handler.lambda_handler_vectorized}
    if mode == "first-prediction":
        result = course_handler.lambda_handler(load_event(args[0]), None)
        print(json.dumps(result["predictions"][0]), flush=True)
    elif mode == "throughput":
        handler, event, reps = handlers[args[0]], load_event(args[1]), int(args[2])
        handler({"Records": event["Records"][:100]}, None)  # warm-up, short: the course handler is slow
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            handler(event, None)
            times.append(time.perf_counter() - started)
        print(json.dumps({"median": statistics.median(times), "runs": len(times)}))
    elif mode == "deliver":
        handler, event = handlers[args[0]], load_event(args[1])
        started = time.perf_counter()
        handler(event, None)
        print(json.dumps({"seconds": time.perf_counter() - started}))
    elif mode == "predict":
        event, reps = load_event(args[0]), int(args[1])
        rides = [json.loads(base64.b64decode(r["kinesis"]["data"]))["ride"] for r in event["Records"]]
        rows = [course_handler.prepare_features(ride) for ride in rides]
        model = course_handler.model
        if hasattr(model[-1], "n_jobs"):
            model[-1].n_jobs = None  # one thread, as a Lambda of 512 MB has a fraction of one vCPU
        model.predict(rows)  # warm-up
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            model.predict(rows)
            times.append(time.perf_counter() - started)
        print(json.dumps({"median": statistics.median(times), "min": min(times), "runs": len(times)}))
    elif mode == "memory":
        course_handler.lambda_handler_vectorized(load_event(args[0]), None)
        print(json.dumps({"maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(*sys.argv[1:])
