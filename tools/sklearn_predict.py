#!/usr/bin/env python3
"""scikit-learn's own predictions for `npm run model-check -- --compare`.

    python3 tools/sklearn_predict.py MODEL_PICKLE < features.json > predictions.json

Reads a list of feature rows ({"PU_DO": "130_205", "trip_distance": 3.66}) and prints the
pickled Pipeline's (or (DictVectorizer, model) tuple's) predictions as a JSON list. It runs
pickle.load, which executes what the file names: use it only on your own models, where
they were trained. The function itself never does: it reads pickles without Python.
"""
import json
import pickle
import sys


def main(path):
    with open(path, "rb") as f:
        model = pickle.load(f)
    rows = json.load(sys.stdin)
    if isinstance(model, (tuple, list)):
        vectorizer, regressor = model
        predictions = regressor.predict(vectorizer.transform(rows))
    else:
        predictions = model.predict(rows)
    json.dump([float(p) for p in predictions], sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
