#!/usr/bin/env python3
"""The library's own predictions for `npm run model-check -- --compare`.

    python3 tools/sklearn_predict.py PLAN.json < rows.json > predictions.json

PLAN.json says which files the function served the model from and how it put them together:
{"input": "dicts" | "frame", "parts": [{"path", "key", "format", "role"}, ...]}. A part is a
pickle or joblib file (or one value of the dict or tuple it holds, by key), an XGBoost model
file, or a LightGBM model file; its role is "model" (a whole pipeline), "featurizer" (a
DictVectorizer or ColumnTransformer) or "regressor". rows.json holds the rides as the
training code made them ({"PU_DO": "130_205", "trip_distance": 3.66}); with "frame" they are
a pandas DataFrame's rows. Prints the predictions as a JSON list.

It runs pickle.load, which executes what the file names: use it only on your own models,
where they were trained. The function itself never does: it reads pickles without Python.
"""
import json
import sys

import numpy


def load_file(part):
    path, fmt = part["path"], part["format"]
    if fmt == "xgboost":
        import xgboost

        booster = xgboost.Booster()
        booster.load_model(path)
        return booster
    if fmt == "lightgbm":
        import lightgbm

        return lightgbm.Booster(model_file=path)
    try:
        import joblib  # reads plain pickles too, and joblib's own (compressed) files
    except ImportError:
        import pickle

        with open(path, "rb") as f:
            return pickle.load(f)
    return joblib.load(path)


def load_part(part):
    obj = load_file(part)
    key = part.get("key")
    return obj if key is None else obj[key]


def predict_with(regressor, X):
    kind = type(regressor).__module__ + "." + type(regressor).__name__
    if kind == "xgboost.core.Booster":
        import xgboost

        return regressor.predict(xgboost.DMatrix(X))
    return regressor.predict(X)


def main(plan_path):
    with open(plan_path) as f:
        plan = json.load(f)
    rows = json.load(sys.stdin)
    if plan["input"] == "frame":
        import pandas

        rows = pandas.DataFrame(rows)
    parts = {part["role"]: load_part(part) for part in plan["parts"]}
    if "model" in parts:
        predictions = predict_with(parts["model"], rows)
    else:
        predictions = predict_with(parts["regressor"], parts["featurizer"].transform(rows))
    # A model fitted on a 2-D y of one column predicts one (n, 1); numpy 2 no longer floats a row.
    predictions = numpy.asarray(predictions)
    if predictions.ndim == 2 and predictions.shape[1] == 1:
        predictions = predictions[:, 0]
    json.dump([float(p) for p in predictions], sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
