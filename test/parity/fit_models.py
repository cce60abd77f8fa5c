#!/usr/bin/env python3
"""Fit every supported regressor on synthetic rides, save each as MLflow logs it and as the
project's exporter writes it, and record its own predictions for the parity tests.

    python3 test/parity/fit_models.py OUT_DIR

Writes, per model, OUT_DIR/<name>/mlflow/ (MLmodel and model.pkl, pickled at protocol 4 or
5 in turn) and OUT_DIR/<name>/model.json (the export, recording the pickle's sha256); for
XGBoost, whose pickle the runtime cannot read, the export also sits beside the pickle.
Also OUT_DIR/rides.json (the rides to predict) and OUT_DIR/expected.json ({name: [predictions]}).
"""
import hashlib
import json
import os
import pickle
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

from sklearn.ensemble import (  # noqa: E402
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

import xgboost  # noqa: E402

import export_model  # noqa: E402
import synthetic_rides  # noqa: E402

# A dense DictVectorizer (sparse=False) for the models that need one or where it changes the
# meaning of an absent feature; those train on fewer rides, as a dense matrix is large.
DENSE = {"hist_gradient_boosting", "hist_gradient_boosting_poisson", "hist_gradient_boosting_early_stopping",
         "xgboost_dense_hist", "xgboost_dense_approx", "xgboost_dense_exact"}
DENSE_TRAINING_RIDES = 1500

ESTIMATORS = {
    "linear_regression": LinearRegression(),
    "ridge": Ridge(alpha=0.5),
    "lasso": Lasso(alpha=0.0005, max_iter=5000),
    "elastic_net": ElasticNet(alpha=0.0005, l1_ratio=0.3, max_iter=5000),
    "decision_tree": DecisionTreeRegressor(max_depth=14, min_samples_leaf=3, random_state=1),
    "random_forest": RandomForestRegressor(n_estimators=25, max_depth=20, min_samples_leaf=10, random_state=1),
    "extra_trees": ExtraTreesRegressor(n_estimators=25, max_depth=16, min_samples_leaf=5, random_state=1),
    "gradient_boosting": GradientBoostingRegressor(n_estimators=60, max_depth=4, learning_rate=0.1, random_state=1),
    "gradient_boosting_huber": GradientBoostingRegressor(loss="huber", n_estimators=40, max_depth=3, subsample=0.8, random_state=1),
    "gradient_boosting_zero_init": GradientBoostingRegressor(init="zero", n_estimators=40, max_depth=3, random_state=1),
    "xgboost": xgboost.XGBRegressor(n_estimators=80, max_depth=6, learning_rate=0.1, random_state=1),
    "xgboost_gamma": xgboost.XGBRegressor(objective="reg:gamma", n_estimators=40, max_depth=4, random_state=1),
    "xgboost_parallel_trees": xgboost.XGBRegressor(n_estimators=200, learning_rate=0.5, num_parallel_tree=3, subsample=0.8, colsample_bynode=0.8, max_depth=4, random_state=1),
    "xgboost_dense_hist": xgboost.XGBRegressor(tree_method="hist", n_estimators=40, max_depth=5, random_state=1),
    "xgboost_dense_approx": xgboost.XGBRegressor(tree_method="approx", n_estimators=40, max_depth=5, random_state=1),
    "xgboost_dense_exact": xgboost.XGBRegressor(tree_method="exact", n_estimators=40, max_depth=5, random_state=1),
    "hist_gradient_boosting": HistGradientBoostingRegressor(max_iter=60, max_depth=6, random_state=1),
    "hist_gradient_boosting_poisson": HistGradientBoostingRegressor(loss="poisson", max_iter=40, random_state=1),
    "hist_gradient_boosting_early_stopping": HistGradientBoostingRegressor(
        loss="absolute_error", max_iter=200, early_stopping=True, validation_fraction=0.2, n_iter_no_change=5, random_state=1),
}
# Early stopping with num_parallel_tree: the best iteration counts rounds of 3 trees each.
EARLY_STOPPED = {"xgboost_parallel_trees"}


def mlmodel(name, sklearn_version):
    return ("artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
            f"  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n    sklearn_version: {sklearn_version}\n"
            f"run_id: {name}\n")


# Models the exporter refuses: XGBoost's exp-link objectives, which the function cannot serve exactly.
EXPORT_REFUSED = {"xgboost_gamma"}


def save(out_dir, name, index, pipeline):
    """As MLflow logs it (MLmodel and model.pkl), and the exporter's model.json of that pickle."""
    import sklearn

    mlflow_dir = os.path.join(out_dir, name, "mlflow")
    os.makedirs(mlflow_dir, exist_ok=True)
    pickled = pickle.dumps(pipeline, protocol=4 + index % 2)
    with open(os.path.join(mlflow_dir, "model.pkl"), "wb") as f:
        f.write(pickled)
    with open(os.path.join(mlflow_dir, "MLmodel"), "w") as f:
        f.write(mlmodel(name, sklearn.__version__))
    if name in EXPORT_REFUSED:
        return  # the exporter refuses it, as the function does (test/emulators/exporter.test.ts)
    exported = export_model.export_pipeline(pipeline, name, hashlib.sha256(pickled).hexdigest())
    export_model.write_model(exported, os.path.join(out_dir, name, "model.json"))
    if name.startswith("xgboost"):
        export_model.write_model(exported, os.path.join(mlflow_dir, "model.json"))


def boundary_rides(pipeline, limit=150):
    """Rides whose distance sits on, or one float step off, a tree's split threshold:
    where comparing in float64 instead of sklearn's float32 would pick the other branch."""
    dv, model = pipeline[0], pipeline[-1]
    trees = [model.tree_] if hasattr(model, "tree_") else [
        (e[0] if isinstance(e, np.ndarray) else e).tree_ for e in np.ravel(model.estimators_)
    ]
    column = dv.vocabulary_["trip_distance"]
    thresholds = np.unique(np.concatenate([t.threshold[t.feature == column] for t in trees]))[:limit]
    distances = []
    for t in thresholds:
        t32 = np.float32(t)
        distances += [t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf), float(t32),
                      float(np.nextafter(t32, np.float32(np.inf))), float(np.nextafter(t32, np.float32(-np.inf)))]
    return [{"PULocationID": 132, "DOLocationID": 230, "trip_distance": float(d)} for d in distances if d >= 0]


def xgboost_boundary_rides(pipeline, limit=150):
    """Rides at, and one float32 step either side of, XGBoost's split values on the distance:
    XGBoost compares float32 values with `<`, where sklearn trees use `<=`."""
    dv, model = pipeline[0], pipeline[-1]
    column = dv.vocabulary_["trip_distance"]
    trees = json.loads(model.get_booster().save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    splits = sorted({np.float32(c) for t in trees for i, c in zip(t["split_indices"], t["split_conditions"]) if i == column})[:limit]
    distances = [float(d) for s in splits for d in (s, np.nextafter(s, np.float32(np.inf)), np.nextafter(s, np.float32(-np.inf)))]
    return [{"PULocationID": 48, "DOLocationID": 68, "trip_distance": d} for d in distances if d >= 0]


def main(out_dir):
    train, durations = synthetic_rides.generate(6000, seed=1)
    rides, _ = synthetic_rides.generate(1500, seed=99)
    rng = np.random.default_rng(5)
    # Pairs never seen in training, zones past the usual range, and round distances.
    rides += [{"PULocationID": int(p), "DOLocationID": int(d), "trip_distance": float(t)}
              for p, d, t in zip(rng.integers(1, 400, 200), rng.integers(1, 400, 200), rng.uniform(0, 40, 200))]
    rides += [{"PULocationID": 130, "DOLocationID": 205, "trip_distance": t} for t in (0, 0.0, 1, 3.66, 1e6)]

    features = [synthetic_rides.prepare_features(r) for r in train]
    expected = {}
    for index, (name, estimator) in enumerate(ESTIMATORS.items()):
        dense = name in DENSE
        n = DENSE_TRAINING_RIDES if dense else len(features)
        pipeline = make_pipeline(DictVectorizer(sparse=not dense), estimator)
        if name in EARLY_STOPPED:
            dv = pipeline[0].fit(features[:n])
            pipeline[-1].set_params(early_stopping_rounds=3)
            pipeline[-1].fit(dv.transform(features[:4000]), durations[:4000],
                             eval_set=[(dv.transform(features[4000:]), durations[4000:])], verbose=False)
            assert pipeline[-1].best_iteration < pipeline[-1].n_estimators - 1, name
        else:
            pipeline.fit(features[:n], durations[:n])
        if name == "decision_tree":
            rides += boundary_rides(pipeline)
        if name == "xgboost":
            rides += xgboost_boundary_rides(pipeline)
        save(out_dir, name, index, pipeline)
        expected[name] = pipeline

    test_features = [synthetic_rides.prepare_features(r) for r in rides]
    predictions = {name: p.predict(test_features).tolist() for name, p in expected.items()}
    with open(os.path.join(out_dir, "rides.json"), "w") as f:
        json.dump(rides, f)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(predictions, f)
    print(f"{len(ESTIMATORS)} models, {len(rides)} rides")


if __name__ == "__main__":
    main(sys.argv[1])
