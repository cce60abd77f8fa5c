#!/usr/bin/env python3
"""Fit, on synthetic NYC-style rides, every model family and write it in every artifact layout
that the course, its orchestration tutorial and ordinary scikit-learn users write, one folder
per case, for the coverage test (test/emulators/model-coverage.test.ts, issue 17).

    python3 make_coverage_fixtures.py OUT_DIR      # fit and write every case this Python can make
    python3 make_coverage_fixtures.py --list       # print, as JSON, the cases it would make and those it skips

Runs with Debian's /usr/bin/python3 (scikit-learn 1.2.1, xgboost 1.7.4; the test runs it) and with
a newer scikit-learn (1.9.1, LightGBM; its output is vendored in test/fixtures/coverage-sklearn-1.9.1/).
A case that needs a library this Python lacks (xgboost, lightgbm, lz4, pandas, cloudpickle) is not
made: manifest.json lists it under "skipped" with the reason.

OUT_DIR gets:
  rides.json      the rides every served case is predicted on: {"PULocationID", "DOLocationID",
                  "trip_distance"} as the function receives them, including zones never seen in
                  training and distances 0 and 200 (the most the function accepts)
  manifest.json   what made the set (Python and library versions), the cases, the skipped cases
  <case>/artifact/...     the files, exactly as the user's code writes them
  <case>/case.json        {"name", "location" (relative to the case folder: give it as MODEL_LOCATION),
                           "expect": "served" | {"refused": [substrings of the message]},
                           "estimator", "layout", "origin", "recipe", "features", "library",
                           "version" (the run id served predictions carry), and where they apply:
                           "run_id" (RUN_ID to serve it with: a label, or the run's id), "artifact_path"
                           (the model's artifact path when served by RUN_ID from an MLflow artifact
                           store: upload <case>/artifact/ as the bucket's root), "raises_on"
                           (indexes of the rides scikit-learn refuses to predict), "pickle_protocol"}
  <case>/expected.json    for served cases: the library's own predictions on rides.json (float64, one
                          per ride; null where the library raises on that ride alone)

"recipe" is how the training code built its features, and so how predict-time features are built:
  pu_do      {"PU_DO": f"{pu}_{do}", "trip_distance": d}               the course's weeks 2-4
  zones_str  {"PULocationID": str(pu), "DOLocationID": str(do), ...}   the course's week 1 and the
             Prefect tutorial (`df[categorical] = df[categorical].astype(str)`)
  zones_num  {"PULocationID": pu, "DOLocationID": do, ...}             zone ids left as numbers
  columns_df a pandas DataFrame with columns PULocationID, DOLocationID, trip_distance (the zone
             columns int64, or str where "zone_dtype" says so), for ColumnTransformer pipelines
"features" lists the keys (or columns) the training code put in, in its order.

The cases, and where each comes from:

features (what the vectorizer was trained on)
  features-pu-do                 DictVectorizer + LinearRegression on PU_DO and trip_distance: the
                                 course's weeks 2-4 (duration-prediction notebook, the deployed model)
  features-zones-str             PULocationID/DOLocationID as str one-hots plus trip_distance: week 1
  features-zones-str-no-distance the same without trip_distance: the Prefect tutorial's categorical-only model
  features-zones-num             zone ids as numbers, a common first attempt
  features-passenger-count       a vectorizer trained on passenger_count, which no recipe fills: refused

families, each behind a DictVectorizer on PU_DO and trip_distance, logged as mlflow.sklearn.log_model
does (MLmodel + model.pkl by cloudpickle); the estimators are the scikit-learn user guide's regressors
and the ones the course compares (week 1: LinearRegression, Lasso, Ridge; week 2: forests, boosting)
  family-linear-regression, -ridge, -lasso, -elastic-net, -lasso-cv, -ridge-cv, -elastic-net-cv,
  -sgd-regressor, -linear-svr, -huber-regressor, -decision-tree, -random-forest, -extra-trees,
  -gradient-boosting (squared_error), -gradient-boosting-huber, -gradient-boosting-zero-init
  family-hist-gradient-boosting[-poisson|-absolute-error|-early-stopping]
                                 behind DictVectorizer(sparse=False), which HistGradientBoosting needs;
                                 pickled by scikit-learn 1.4+ it carries a numpy Generator (PCG64)
  family-voting, -voting-weights, -voting-drop, -voting-forests
                                 VotingRegressor (sklearn docs' "Voting Regressor"): plain, weighted, an
                                 estimator set to "drop", and two forests
  family-ttr-log1p, -ttr-log, -ttr-identity, -ttr-standard-scaler, -ttr-standard-scaler-no-mean (mean_ kept but not added)
                                 a pipeline ending in TransformedTargetRegressor (the sklearn docs'
                                 "Effect of transforming the targets"): log1p/expm1, log/exp, no
                                 functions, and transformer=StandardScaler()
  family-ttr-sqrt-square         inverse_func=np.square: not an inverse the runtime evaluates, refused naming it
  family-ttr-around-pipeline     TransformedTargetRegressor(regressor=make_pipeline(DictVectorizer(), ...))
  family-standard-scaler-sparse, -max-abs-scaler
                                 StandardScaler(with_mean=False) / MaxAbsScaler on the sparse matrix
                                 (the sklearn docs' advice for sparse input), before LinearRegression
  family-standard-scaler-dense, -standard-scaler-dense-forest, -min-max-scaler-dense
                                 DictVectorizer(sparse=False), then StandardScaler() (before Ridge and a
                                 forest) or MinMaxScaler() (before LinearRegression)
  family-standard-scaler-dense-zones-num
                                 StandardScaler() before LinearRegression on the zone ids as numbers (on
                                 one-hots, centring makes LinearRegression's least squares singular: its
                                 predictions would be rounding noise that no two summation orders agree on)
  family-xgb-regressor           XGBRegressor in the pipeline (its booster as UBJSON in the pickle); Debian only
  family-voting-xgb              VotingRegressor of two XGBRegressors: numpy averages their float32
                                 predictions in float32; Debian only
  family-ttr-xgb-identity, -ttr-xgb-log1p
                                 TransformedTargetRegressor around an XGBRegressor: with no functions it
                                 is served; with log1p/expm1 numpy inverts the float32 predictions in
                                 float32, whose last bits the runtime does not reproduce: refused; Debian only
  (With scikit-learn 1.9.1 and scipy 1.17, coordinate descent, SGD and liblinear refuse DictVectorizer's
  int64-indexed sparse matrix; those families are then fitted behind DictVectorizer(sparse=False), as a
  user would, and case.json's "note" says so.)
  family-lgbm-regressor          LightGBM's LGBMRegressor in the pipeline; where lightgbm is installed

columns: a ColumnTransformer fitted on a pandas DataFrame (the sklearn docs' "Column Transformer with
Mixed Types"), OneHotEncoder on PULocationID/DOLocationID and trip_distance passed through
  columns-onehot-passthrough     ("num", "passthrough", ["trip_distance"]) before LinearRegression, int64 zones
  columns-onehot-remainder       remainder="passthrough" before LinearRegression
  columns-onehot-remainder-forest  the same before a RandomForestRegressor
  columns-onehot-str-zones       the zone columns as str (astype(str), as the tutorials do)
  columns-onehot-drop-first      OneHotEncoder(drop="first", handle_unknown="ignore")
  columns-onehot-unknown-error   OneHotEncoder() (handle_unknown="error"): served, but scikit-learn
                                 raises on a ride with an unseen zone, so the function must refuse those
                                 rides, one by one ("raises_on")
  columns-scaled-distance        StandardScaler on trip_distance inside the ColumnTransformer
  columns-numpy-array            fitted on a numpy array: its columns have no names to match the ride's
                                 fields, refused
  columns-onehot-float32-ridge, -float32-forest
                                 OneHotEncoder(dtype=np.float32) alone in the ColumnTransformer: its matrix
                                 is float32, so Ridge is fitted and predicts in float32 (refused); a forest
                                 casts to float32 anyway (served)

layouts (how the artifact is written)
  layout-mlflow-pickle           MLflow's directory, serialization_format "pickle" (pickle protocol 4)
  layout-mlflow-cloudpickle      MLflow's directory, "cloudpickle" (MLflow's default; protocol 5)
  layout-pickle-file             pickle.dump(pipeline, f): one file
  layout-tuple-dv-model          models/lin_reg.bin = (dv, lr): the course's week 1
  layout-tuple-model-dv          (model, dv)
  layout-dict-dv-model           {"dv": dv, "model": model}
  layout-dict-model-mse          {"model": pipeline, "mse": ...}
  layout-prefect-directory       model.pickle = {"model": LinearRegression, "mse": ...} beside
                                 dv.pickle = the DictVectorizer: the Prefect orchestration tutorial
  layout-dict-two-vectorizers    two DictVectorizers in one dict: ambiguous, refused naming them
  layout-directory-two-models    models/ with lin_reg.bin and ridge.bin: ambiguous, refused naming both
  layout-joblib, -joblib-zlib, -joblib-gzip
                                 joblib.dump (scikit-learn's "Model persistence" page): uncompressed,
                                 compress=3 (zlib), model.joblib.gz (gzip)
  layout-joblib-bz2, -xz, -lz4   compressions no maintained pure-JS npm package reads: refused naming them

the course's week-3 run, as MLflow logs it to an artifact store (bucket/<experiment>/<run id>/artifacts/):
xgb.train on DictVectorizer(PU_DO, trip_distance) features, mlflow.xgboost.log_model(booster,
artifact_path="models_mlflow") and mlflow.log_artifact("models/preprocessor.b", artifact_path="preprocessor")
  xgboost-run-ubj                the booster saved as UBJSON (model_format ubj): served from the artifact
                                 root (MODEL_LOCATION) and by RUN_ID with the artifact path models_mlflow;
                                 the reference is the course's booster.predict(xgb.DMatrix(dv.transform(dicts)))
  xgboost-run-legacy-binary      model.xgb in xgboost 1.7's legacy binary format: refused, saying how to re-save
  lightgbm-run                   the same run with lgb.train and mlflow.lightgbm.log_model (model.lgb, text);
                                 where lightgbm is installed
"""
import hashlib
import importlib.util
import io
import json
import os
import pickle
import platform
import shutil
import sys
import warnings

# One thread: the fits are small, and OpenMP's spinning threads (HistGradientBoosting, xgboost) make
# them ten times slower on a busy machine, as when vitest runs its test files side by side; one
# BLAS thread also makes a rerun write the same bytes.
for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(threads, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

import synthetic_rides  # noqa: E402

TRAINING_RIDES = 900
DENSE_TRAINING_RIDES = 400  # a dense one-hot matrix is large; HistGradientBoosting bins every column
MAX_DISTANCE = 200.0  # the most the function accepts (TRIP_DISTANCE_MAX)
MLFLOW_VERSION = "2.9.2"  # the MLflow the MLmodel files are written as
CREATED = "2024-05-14 09:30:00.000000"  # fixed, so that a rerun writes the same bytes


OPTIONAL = ("pandas", "joblib", "cloudpickle", "lz4", "xgboost", "lightgbm")


def available(module):
    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------------------------------
# Rides and features


def make_rides(train):
    """The rides every served case is predicted on: new rides, zones never seen in training, the
    course's ride, and the edge distances."""
    rides, _ = synthetic_rides.generate(360, seed=99)
    seen = {r["PULocationID"] for r in train} | {r["DOLocationID"] for r in train}
    unseen = [z for z in range(1, synthetic_rides.N_ZONES + 1) if z not in seen]
    assert len(unseen) >= 10, "training saw nearly every zone; the unseen-zone rides need some it did not"
    rng = np.random.default_rng(17)
    common = [r["PULocationID"] for r in train[:20]]
    for i in range(30):
        u, s = unseen[i % len(unseen)], common[i % len(common)]
        pu, do = [(u, s), (s, u), (u, unseen[(i + 3) % len(unseen)])][i % 3]
        rides.append({"PULocationID": pu, "DOLocationID": do, "trip_distance": float(np.round(rng.uniform(0.3, 25), 2))})
    rides.append({"PULocationID": 130, "DOLocationID": 205, "trip_distance": 3.66})
    for pu, do in [(common[0], common[1]), (common[2], common[2]), (unseen[0], unseen[1])]:
        rides += [{"PULocationID": pu, "DOLocationID": do, "trip_distance": d} for d in (0.0, MAX_DISTANCE)]
    return rides


def with_passengers(rides, seed):
    rng = np.random.default_rng(seed)
    return [{**r, "passenger_count": int(n)} for r, n in zip(rides, rng.integers(1, 5, len(rides)))]


def build_features(recipe, rides, fields, zone_dtype="int64"):
    """The features the training code builds from rides, and so what predict-time code builds."""
    if recipe == "columns_df":
        import pandas as pd

        frame = pd.DataFrame(rides)[list(fields)]
        if zone_dtype == "str":
            zones = [f for f in fields if f != "trip_distance"]
            frame[zones] = frame[zones].astype(str)
        return frame
    made = []
    for r in rides:
        pu, do = r["PULocationID"], r["DOLocationID"]
        value = {
            "PU_DO": f"{pu}_{do}",
            "PULocationID": str(pu) if recipe == "zones_str" else pu,
            "DOLocationID": str(do) if recipe == "zones_str" else do,
            "trip_distance": r["trip_distance"],
            "passenger_count": r.get("passenger_count"),
        }
        made.append({f: value[f] for f in fields})
    return made


RECIPE_FIELDS = {
    "pu_do": ("PU_DO", "trip_distance"),
    "zones_str": ("PULocationID", "DOLocationID", "trip_distance"),
    "zones_num": ("PULocationID", "DOLocationID", "trip_distance"),
    "columns_df": ("PULocationID", "DOLocationID", "trip_distance"),
}


# ---------------------------------------------------------------------------------------------
# Writers: each writes the files as the user's code (or MLflow) writes them and returns the
# location to serve, relative to the case folder.


def run_id_of(name):
    return hashlib.md5(f"coverage:{name}".encode()).hexdigest()


def python_version():
    return platform.python_version()


def versions(*modules):
    import scipy
    import sklearn

    found = {"python": python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
    for m in modules:
        found[m] = importlib.import_module(m).__version__
    return found


def env_files(path, requirements):
    """conda.yaml, python_env.yaml and requirements.txt, which MLflow writes beside every model."""
    pins = "".join(f"  - {r}\n" for r in requirements)
    with open(os.path.join(path, "conda.yaml"), "w") as f:
        f.write(f"channels:\n- conda-forge\ndependencies:\n- python={python_version()}\n- pip<=23.0.1\n- pip:\n{pins}name: mlflow-env\n")
    with open(os.path.join(path, "python_env.yaml"), "w") as f:
        f.write(f"python: {python_version()}\nbuild_dependencies:\n- pip==23.0.1\n- setuptools==66.1.1\n- wheel==0.38.4\n"
                "dependencies:\n- -r requirements.txt\n")
    with open(os.path.join(path, "requirements.txt"), "w") as f:
        f.write("".join(f"{r}\n" for r in requirements))


def signature_yaml(columns):
    """MLflow 2.x's signature block for named columns: [(name, type)], types as MLflow names them."""
    if not columns:
        return ""
    inputs = json.dumps([{"type": t, "name": n, "required": True} for n, t in columns])
    outputs = json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}])
    return f"signature:\n  inputs: '{inputs}'\n  outputs: '{outputs}'\n  params: null\n"


def mlmodel_header(artifact_path):
    return f"artifact_path: {artifact_path}\nflavors:\n"


def mlmodel_footer(run_id, signature=""):
    uuid = hashlib.md5(f"uuid:{run_id}".encode()).hexdigest()
    return f"mlflow_version: {MLFLOW_VERSION}\nmodel_uuid: {uuid}\nrun_id: {run_id}\n{signature}utc_time_created: '{CREATED}'\n"


def write_mlflow_sklearn(path, model, run_id, serialization="cloudpickle", signature=None):
    """What mlflow.sklearn.log_model(model, "model") writes: MLmodel, model.pkl, the env files."""
    import sklearn

    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "model.pkl"), "wb") as f:
        if serialization == "cloudpickle":
            import cloudpickle

            cloudpickle.dump(model, f)
        else:
            pickle.dump(model, f)
    with open(os.path.join(path, "MLmodel"), "w") as f:
        f.write(mlmodel_header("model")
                + "  python_function:\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n"
                  "    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    predict_fn: predict\n"
                  f"    python_version: {python_version()}\n"
                  "  sklearn:\n    code: null\n    pickled_model: model.pkl\n"
                  f"    serialization_format: {serialization}\n    sklearn_version: {sklearn.__version__}\n"
                + mlmodel_footer(run_id, signature_yaml(signature)))
    requirements = [f"mlflow=={MLFLOW_VERSION}", f"scikit-learn=={sklearn.__version__}"]
    if serialization == "cloudpickle":
        import cloudpickle

        requirements.insert(1, f"cloudpickle=={cloudpickle.__version__}")
    env_files(path, requirements)


def mlflow_serialization():
    """MLflow's default, cloudpickle, where it is installed (MLflow depends on it); else pickle."""
    return "cloudpickle" if available("cloudpickle") else "pickle"


def dump_pickle(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def protocol_of(path):
    with open(path, "rb") as f:
        head = f.read(2)
    return head[1] if head[:1] == b"\x80" else None


# ---------------------------------------------------------------------------------------------
# Estimators


def dv(sparse=True):
    from sklearn.feature_extraction import DictVectorizer

    return DictVectorizer(sparse=sparse)


def pipe(*steps):
    from sklearn.pipeline import make_pipeline

    return make_pipeline(*steps)


def family_estimators():
    """name -> (factory of the pipeline, description, dense vectorizer?, modules it needs)."""
    from sklearn import ensemble as en
    from sklearn import linear_model as lm
    from sklearn import preprocessing as pp
    from sklearn.compose import TransformedTargetRegressor as TTR
    from sklearn.svm import LinearSVR
    from sklearn.tree import DecisionTreeRegressor

    def rf(n=6, **kw):
        return en.RandomForestRegressor(n_estimators=n, max_depth=10, min_samples_leaf=8, random_state=1, **kw)

    def et(n=6):
        return en.ExtraTreesRegressor(n_estimators=n, max_depth=10, min_samples_leaf=8, random_state=1)

    def hgb(**kw):
        return en.HistGradientBoostingRegressor(max_iter=kw.pop("max_iter", 30), max_depth=5, random_state=1, **kw)

    def xgb_regressor(n_estimators=30, max_depth=4):
        import xgboost

        return xgboost.XGBRegressor(n_estimators=n_estimators, max_depth=max_depth, learning_rate=0.2, random_state=1, n_jobs=1)

    def lgbm_regressor():
        import lightgbm

        return lightgbm.LGBMRegressor(n_estimators=30, num_leaves=15, min_child_samples=5, random_state=1, n_jobs=1,
                                      deterministic=True, verbose=-1)

    sparse, dense = False, True
    return {
        "family-linear-regression": (lambda: pipe(dv(), lm.LinearRegression()), "DictVectorizer + LinearRegression", sparse, ()),
        "family-ridge": (lambda: pipe(dv(), lm.Ridge(alpha=0.5)), "DictVectorizer + Ridge(alpha=0.5)", sparse, ()),
        "family-lasso": (lambda: pipe(dv(), lm.Lasso(alpha=0.005, max_iter=5000)), "DictVectorizer + Lasso(alpha=0.005)", sparse, ()),
        "family-elastic-net": (lambda: pipe(dv(), lm.ElasticNet(alpha=0.005, l1_ratio=0.3, max_iter=5000)),
                               "DictVectorizer + ElasticNet(alpha=0.005, l1_ratio=0.3)", sparse, ()),
        "family-lasso-cv": (lambda: pipe(dv(), lm.LassoCV(alphas=(0.001, 0.01, 0.1), cv=3, max_iter=5000)), "DictVectorizer + LassoCV(alphas=(0.001, 0.01, 0.1), cv=3)", sparse, ()),
        "family-ridge-cv": (lambda: pipe(dv(), lm.RidgeCV(alphas=(0.1, 1.0, 10.0))), "DictVectorizer + RidgeCV(alphas=(0.1, 1, 10))", sparse, ()),
        "family-elastic-net-cv": (lambda: pipe(dv(), lm.ElasticNetCV(l1_ratio=(0.5, 0.9), alphas=(0.001, 0.01, 0.1), cv=3, max_iter=5000)),
                                  "DictVectorizer + ElasticNetCV(l1_ratio=(0.5, 0.9), cv=3)", sparse, ()),
        "family-sgd-regressor": (lambda: pipe(dv(), lm.SGDRegressor(alpha=1e-4, max_iter=2000, random_state=1)),
                                 "DictVectorizer + SGDRegressor", sparse, ()),
        "family-linear-svr": (lambda: pipe(dv(), LinearSVR(C=1.0, dual=True, max_iter=20000, random_state=1)),
                              "DictVectorizer + LinearSVR", sparse, ()),
        "family-huber-regressor": (lambda: pipe(dv(), lm.HuberRegressor(max_iter=500)), "DictVectorizer + HuberRegressor", sparse, ()),
        "family-decision-tree": (lambda: pipe(dv(), DecisionTreeRegressor(max_depth=10, min_samples_leaf=3, random_state=1)),
                                 "DictVectorizer + DecisionTreeRegressor", sparse, ()),
        "family-random-forest": (lambda: pipe(dv(), rf()), "DictVectorizer + RandomForestRegressor(6 trees)", sparse, ()),
        "family-extra-trees": (lambda: pipe(dv(), et()), "DictVectorizer + ExtraTreesRegressor(6 trees)", sparse, ()),
        "family-gradient-boosting": (lambda: pipe(dv(), en.GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=1)),
                                     "DictVectorizer + GradientBoostingRegressor(loss=squared_error)", sparse, ()),
        "family-gradient-boosting-huber": (
            lambda: pipe(dv(), en.GradientBoostingRegressor(loss="huber", n_estimators=30, max_depth=3, subsample=0.8, random_state=1)),
            "DictVectorizer + GradientBoostingRegressor(loss=huber, subsample=0.8)", sparse, ()),
        "family-gradient-boosting-zero-init": (
            lambda: pipe(dv(), en.GradientBoostingRegressor(init="zero", n_estimators=30, max_depth=3, random_state=1)),
            'DictVectorizer + GradientBoostingRegressor(init="zero")', sparse, ()),
        "family-hist-gradient-boosting": (lambda: pipe(dv(False), hgb()),
                                          "DictVectorizer(sparse=False) + HistGradientBoostingRegressor(loss=squared_error)", dense, ()),
        "family-hist-gradient-boosting-poisson": (lambda: pipe(dv(False), hgb(loss="poisson")),
                                                  "DictVectorizer(sparse=False) + HistGradientBoostingRegressor(loss=poisson)", dense, ()),
        "family-hist-gradient-boosting-absolute-error": (
            lambda: pipe(dv(False), hgb(loss="absolute_error")),
            "DictVectorizer(sparse=False) + HistGradientBoostingRegressor(loss=absolute_error)", dense, ()),
        "family-hist-gradient-boosting-early-stopping": (
            lambda: pipe(dv(False), hgb(max_iter=200, early_stopping=True, validation_fraction=0.2, n_iter_no_change=3)),
            "DictVectorizer(sparse=False) + HistGradientBoostingRegressor(early_stopping=True)", dense, ()),
        "family-voting": (lambda: pipe(dv(), en.VotingRegressor([("lr", lm.LinearRegression()), ("tree", DecisionTreeRegressor(max_depth=6, random_state=1))])),
                          "DictVectorizer + VotingRegressor(LinearRegression, DecisionTreeRegressor)", sparse, ()),
        "family-voting-weights": (
            lambda: pipe(dv(), en.VotingRegressor([("lr", lm.LinearRegression()), ("ridge", lm.Ridge()), ("tree", DecisionTreeRegressor(max_depth=6, random_state=1))],
                                                  weights=[2.0, 0.5, 1.0])),
            "DictVectorizer + VotingRegressor(LinearRegression, Ridge, DecisionTreeRegressor, weights=[2, 0.5, 1])", sparse, ()),
        "family-voting-drop": (
            lambda: pipe(dv(), en.VotingRegressor([("lr", lm.LinearRegression()), ("tree", "drop"), ("lasso", lm.Lasso(alpha=0.005, max_iter=5000))])),
            'DictVectorizer + VotingRegressor(LinearRegression, "drop", Lasso)', sparse, ()),
        "family-voting-forests": (lambda: pipe(dv(), en.VotingRegressor([("rf", rf(3)), ("et", et(3))])),
                                  "DictVectorizer + VotingRegressor(RandomForestRegressor, ExtraTreesRegressor)", sparse, ()),
        "family-ttr-log1p": (lambda: pipe(dv(), TTR(regressor=lm.LinearRegression(), func=np.log1p, inverse_func=np.expm1)),
                             "DictVectorizer + TransformedTargetRegressor(LinearRegression, func=np.log1p, inverse_func=np.expm1)", sparse, ()),
        "family-ttr-log": (lambda: pipe(dv(), TTR(regressor=lm.Ridge(alpha=0.5), func=np.log, inverse_func=np.exp)),
                           "DictVectorizer + TransformedTargetRegressor(Ridge, func=np.log, inverse_func=np.exp)", sparse, ()),
        "family-ttr-identity": (lambda: pipe(dv(), TTR(regressor=lm.LinearRegression())),
                                "DictVectorizer + TransformedTargetRegressor(LinearRegression) without functions", sparse, ()),
        "family-ttr-sqrt-square": (lambda: pipe(dv(), TTR(regressor=lm.LinearRegression(), func=np.sqrt, inverse_func=np.square)),
                                   "DictVectorizer + TransformedTargetRegressor(LinearRegression, func=np.sqrt, inverse_func=np.square)", sparse, ()),
        "family-ttr-standard-scaler": (lambda: pipe(dv(), TTR(regressor=lm.LinearRegression(), transformer=pp.StandardScaler())),
                                       "DictVectorizer + TransformedTargetRegressor(LinearRegression, transformer=StandardScaler())", sparse, ()),
        "family-ttr-standard-scaler-no-mean": (
            lambda: pipe(dv(), TTR(regressor=lm.LinearRegression(), transformer=pp.StandardScaler(with_mean=False))),
            "DictVectorizer + TransformedTargetRegressor(LinearRegression, transformer=StandardScaler(with_mean=False))", sparse, ()),
        "family-ttr-around-pipeline": (
            lambda: TTR(regressor=pipe(dv(), lm.LinearRegression()), func=np.log1p, inverse_func=np.expm1),
            "TransformedTargetRegressor(make_pipeline(DictVectorizer, LinearRegression), func=np.log1p, inverse_func=np.expm1)", sparse, ()),
        "family-standard-scaler-sparse": (lambda: pipe(dv(), pp.StandardScaler(with_mean=False), lm.LinearRegression()),
                                          "DictVectorizer + StandardScaler(with_mean=False) + LinearRegression", sparse, ()),
        "family-max-abs-scaler": (lambda: pipe(dv(), pp.MaxAbsScaler(), lm.LinearRegression()),
                                  "DictVectorizer + MaxAbsScaler + LinearRegression", sparse, ()),
        # Not LinearRegression here: the one-hots sum to one, so once centred its least squares is
        # singular and its coefficients reach 1e11; its predictions are then rounding noise that no
        # two summation orders agree on to 1e-9. The zones as numbers are well posed for it.
        "family-standard-scaler-dense": (lambda: pipe(dv(False), pp.StandardScaler(), lm.Ridge(alpha=1.0)),
                                         "DictVectorizer(sparse=False) + StandardScaler() + Ridge(alpha=1)", dense, ()),
        "family-standard-scaler-dense-zones-num": (
            lambda: pipe(dv(False), pp.StandardScaler(), lm.LinearRegression()),
            "DictVectorizer(sparse=False) on zone ids as numbers + StandardScaler() + LinearRegression", dense, ()),
        "family-standard-scaler-dense-forest": (lambda: pipe(dv(False), pp.StandardScaler(), rf()),
                                                "DictVectorizer(sparse=False) + StandardScaler() + RandomForestRegressor(6 trees)", dense, ()),
        "family-min-max-scaler-dense": (lambda: pipe(dv(False), pp.MinMaxScaler(), lm.LinearRegression()),
                                        "DictVectorizer(sparse=False) + MinMaxScaler() + LinearRegression", dense, ()),
        "family-xgb-regressor": (lambda: pipe(dv(), xgb_regressor()), "DictVectorizer + xgboost.XGBRegressor(30 trees)", sparse, ("xgboost",)),
        "family-voting-xgb": (lambda: pipe(dv(), en.VotingRegressor([("a", xgb_regressor()), ("b", xgb_regressor(n_estimators=10, max_depth=3))])),
                              "DictVectorizer + VotingRegressor(XGBRegressor, XGBRegressor)", sparse, ("xgboost",)),
        "family-ttr-xgb-identity": (lambda: pipe(dv(), TTR(regressor=xgb_regressor())),
                                    "DictVectorizer + TransformedTargetRegressor(XGBRegressor)", sparse, ("xgboost",)),
        "family-ttr-xgb-log1p": (lambda: pipe(dv(), TTR(regressor=xgb_regressor(), func=np.log1p, inverse_func=np.expm1)),
                                 "DictVectorizer + TransformedTargetRegressor(XGBRegressor, func=np.log1p, inverse_func=np.expm1)", sparse,
                                 ("xgboost",)),
        "family-lgbm-regressor": (lambda: pipe(dv(), lgbm_regressor()), "DictVectorizer + lightgbm.LGBMRegressor(30 trees)", sparse, ("lightgbm",)),
    }


FAMILY_REFUSALS = {"family-ttr-sqrt-square": ["numpy.square"], "family-ttr-xgb-log1p": ["predicts float32", "expm1"]}
FAMILY_RECIPES = {"family-standard-scaler-dense-zones-num": "zones_num"}


# ---------------------------------------------------------------------------------------------
# Cases


class Context:
    """The training rides and durations, and the rides to predict."""

    def __init__(self):
        self.train, self.durations = synthetic_rides.generate(TRAINING_RIDES, seed=1)
        self.seen = {f: {r[f] for r in self.train} for f in ("PULocationID", "DOLocationID")}
        self.rides = make_rides(self.train)

    def fit(self, model, recipe, fields=None, dense=False, zone_dtype="int64", rides=None):
        n = DENSE_TRAINING_RIDES if dense else TRAINING_RIDES
        rides = (rides or self.train)[:n]
        X = build_features(recipe, rides, fields or RECIPE_FIELDS[recipe], zone_dtype)
        return model.fit(X, self.durations[:n])

    def fit_family(self, factory, recipe, dense):
        """A family behind its vectorizer. scikit-learn 1.9.1 with scipy 1.17 refuses to fit the
        sparse linear solvers (coordinate descent, SGD, liblinear) on DictVectorizer's matrix,
        whose indices are int64; a user then turns to DictVectorizer(sparse=False), and so does this."""
        try:
            return self.fit(factory(), recipe, dense=dense), None
        except ValueError as error:
            if dense or "32-bit integer indices" not in str(error):
                raise
            model = factory()
            model.steps[0] = (model.steps[0][0], dv(sparse=False))
            note = (f"scikit-learn refuses to fit it behind the sparse DictVectorizer ({str(error).split('. ')[0]}), "
                    "so the vectorizer is DictVectorizer(sparse=False), as a user would make it")
            return self.fit(model, recipe, dense=True), note


class Case:
    """One case: what it is, what it needs, and how to write it."""

    def __init__(self, name, estimator, layout, origin, recipe, write, requires=(), refused=None, fields=None,
                 zone_dtype=None, run_id=None, artifact_path=None):
        self.name, self.estimator, self.layout, self.origin, self.recipe = name, estimator, layout, origin, recipe
        self.write, self.requires, self.refused = write, tuple(requires), refused
        self.fields = tuple(fields or RECIPE_FIELDS[recipe])
        self.zone_dtype, self.run_id, self.artifact_path = zone_dtype, run_id, artifact_path

    def missing(self):
        return [m for m in self.requires if not available(m)]

    def expect(self):
        return {"refused": self.refused} if self.refused else "served"

    def summary(self):
        """What --list tells of a case before it is made."""
        return {"name": self.name, "estimator": self.estimator, "layout": self.layout, "expect": self.expect(),
                **({"artifact_path": self.artifact_path} if self.artifact_path else {})}


def sklearn_predict(model, recipe, fields, zone_dtype="int64"):
    """The reference: the fitted model's own predict on the features the training code built."""
    return lambda rides: [float(p) for p in model.predict(build_features(recipe, rides, fields, zone_dtype or "int64"))]


def mlflow_case(fit, signature=None, serialization=None):
    """Write the fitted model as mlflow.sklearn.log_model does; the case is served from the directory."""
    def write(ctx, case, path):
        model = fit(ctx)
        model, note = model if isinstance(model, tuple) else (model, None)
        chosen = serialization or mlflow_serialization()
        write_mlflow_sklearn(os.path.join(path, "artifact"), model, run_id_of(case.name), chosen, signature)
        extra = {"location": "artifact", "version": run_id_of(case.name),
                 "pickle_protocol": protocol_of(os.path.join(path, "artifact", "model.pkl")), "uses": [chosen]}
        if note:
            extra["note"] = note
            extra["estimator"] = case.estimator.replace("DictVectorizer + ", "DictVectorizer(sparse=False) + ", 1)
        return extra, sklearn_predict(model, case.recipe, case.fields, case.zone_dtype)
    return write


def label(case):
    """The RUN_ID a case without MLmodel is served with: the course serves a local model as Test123."""
    return f"label-{case.name}"


def file_case(file_name, make, dump=dump_pickle, uses=()):
    """A single file the user's code writes (pickle.dump, joblib.dump); served by naming the file."""
    def write(ctx, case, path):
        obj, predict = make(ctx, case)
        dump(os.path.join(path, "artifact", file_name), obj)
        extra = {"location": f"artifact/{file_name}", "run_id": label(case), "version": label(case), "uses": list(uses)}
        protocol = protocol_of(os.path.join(path, "artifact", file_name))
        if protocol is not None:
            extra["pickle_protocol"] = protocol
        return extra, predict
    return write


SIG_PU_DO = [("PU_DO", "string"), ("trip_distance", "double")]
SIG_ZONES_STR = [("PULocationID", "string"), ("DOLocationID", "string"), ("trip_distance", "double")]
SIG_ZONES_INT = [("PULocationID", "long"), ("DOLocationID", "long"), ("trip_distance", "double")]


def feature_cases():
    from sklearn.linear_model import LinearRegression

    def lr(recipe, fields=None, rides=None):
        return lambda ctx: ctx.fit(pipe(dv(), LinearRegression()), recipe, fields, rides=rides)

    def passenger_rides(ctx):
        return with_passengers(ctx.train, seed=3)

    return [
        Case("features-pu-do", "DictVectorizer + LinearRegression on PU_DO, trip_distance", "mlflow-sklearn",
             "the course, weeks 2-4", "pu_do", mlflow_case(lr("pu_do"), SIG_PU_DO)),
        Case("features-zones-str", "DictVectorizer + LinearRegression on PULocationID, DOLocationID (str), trip_distance",
             "mlflow-sklearn", "the course, week 1", "zones_str", mlflow_case(lr("zones_str"), SIG_ZONES_STR)),
        Case("features-zones-str-no-distance", "DictVectorizer + LinearRegression on PULocationID, DOLocationID (str)",
             "mlflow-sklearn", "the Prefect orchestration tutorial's features", "zones_str",
             mlflow_case(lr("zones_str", ("PULocationID", "DOLocationID"))), fields=("PULocationID", "DOLocationID")),
        Case("features-zones-num", "DictVectorizer + LinearRegression on PULocationID, DOLocationID (numbers), trip_distance",
             "mlflow-sklearn", "zone ids left as numbers", "zones_num", mlflow_case(lr("zones_num"), SIG_ZONES_INT)),
        Case("features-passenger-count", "DictVectorizer + LinearRegression on PU_DO, trip_distance, passenger_count",
             "mlflow-sklearn", "a feature the ride does not carry", "pu_do",
             mlflow_case(lambda ctx: ctx.fit(pipe(dv(), LinearRegression()), "pu_do", ("PU_DO", "trip_distance", "passenger_count"),
                                             rides=passenger_rides(ctx))),
             refused=["trained on features the handler never prepares", "passenger_count"],
             fields=("PU_DO", "trip_distance", "passenger_count")),
    ]


def family_cases():
    cases = []
    for name, (factory, description, dense, requires) in family_estimators().items():
        recipe = FAMILY_RECIPES.get(name, "pu_do")
        fit = (lambda f, r, d: lambda ctx: ctx.fit_family(f, r, d))(factory, recipe, dense)
        origin = "the course (weeks 1-2) and the scikit-learn user guide"
        if name.startswith("family-ttr"):
            origin = 'scikit-learn docs, "Effect of transforming the targets in regression model"'
        elif name.startswith("family-voting"):
            origin = 'scikit-learn docs, "Plot individual and voting regression predictions"'
        elif "scaler" in name:
            origin = 'scikit-learn docs, "Preprocessing data" (scaling sparse data)'
        elif name == "family-xgb-regressor":
            origin = "xgboost's scikit-learn interface in a pipeline"
        elif name == "family-lgbm-regressor":
            origin = "LightGBM's scikit-learn interface in a pipeline"
        cases.append(Case(name, description, "mlflow-sklearn", origin, recipe, mlflow_case(fit), requires=requires,
                          refused=FAMILY_REFUSALS.get(name)))
    return cases


def column_cases():
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    zones = ["PULocationID", "DOLocationID"]

    def ct(*transformers, **kw):
        return ColumnTransformer(list(transformers), **kw)

    def onehot(**kw):
        return ("cat", OneHotEncoder(handle_unknown=kw.pop("handle_unknown", "ignore"), **kw), zones)

    passthrough = ("num", "passthrough", ["trip_distance"])

    def forest():
        return RandomForestRegressor(n_estimators=6, max_depth=10, min_samples_leaf=8, random_state=1)

    def fitted(make, zone_dtype="int64"):
        return lambda ctx: ctx.fit(make(), "columns_df", zone_dtype=zone_dtype)

    def numpy_array(ctx, case, path):
        """Fitted on df.to_numpy(): the ColumnTransformer knows its columns by position only."""
        model = pipe(ct(("cat", OneHotEncoder(handle_unknown="ignore"), [0, 1]), remainder="passthrough"), LinearRegression())
        frame = build_features("columns_df", ctx.train, RECIPE_FIELDS["columns_df"])
        model.fit(frame.to_numpy(), ctx.durations)
        write_mlflow_sklearn(os.path.join(path, "artifact"), model, run_id_of(case.name), mlflow_serialization())
        return {"location": "artifact", "version": run_id_of(case.name), "uses": [mlflow_serialization()]}, None

    origin = 'scikit-learn docs, "Column Transformer with Mixed Types"'
    desc = "ColumnTransformer(OneHotEncoder({}) on PULocationID, DOLocationID; {}) + {}"
    pandas = ("pandas",)
    return [
        Case("columns-onehot-passthrough", desc.format('handle_unknown="ignore"', '("num", "passthrough", ["trip_distance"])', "LinearRegression"),
             "mlflow-sklearn", origin, "columns_df", mlflow_case(fitted(lambda: pipe(ct(onehot(), passthrough), LinearRegression())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64"),
        Case("columns-onehot-remainder", desc.format('handle_unknown="ignore"', 'remainder="passthrough"', "LinearRegression"),
             "mlflow-sklearn", origin, "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(), remainder="passthrough"), LinearRegression())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64"),
        Case("columns-onehot-remainder-forest", desc.format('handle_unknown="ignore"', 'remainder="passthrough"', "RandomForestRegressor(6 trees)"),
             "mlflow-sklearn", origin, "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(), remainder="passthrough"), forest())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64"),
        Case("columns-onehot-str-zones", desc.format('handle_unknown="ignore"', '("num", "passthrough", ["trip_distance"])', "LinearRegression")
             + ", the zone columns as str", "mlflow-sklearn", origin + "; zones as str as the tutorials cast them", "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(), passthrough), LinearRegression()), "str"), SIG_ZONES_STR),
             requires=pandas, zone_dtype="str"),
        Case("columns-onehot-drop-first", desc.format('drop="first", handle_unknown="ignore"', '("num", "passthrough", ["trip_distance"])', "LinearRegression"),
             "mlflow-sklearn", origin, "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(drop="first"), passthrough), LinearRegression())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64"),
        Case("columns-onehot-unknown-error", desc.format('handle_unknown="error"', '("num", "passthrough", ["trip_distance"])', "LinearRegression"),
             "mlflow-sklearn", origin + "; OneHotEncoder's default handle_unknown", "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(handle_unknown="error"), passthrough), LinearRegression())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64"),
        Case("columns-scaled-distance", desc.format('handle_unknown="ignore"', '("num", StandardScaler(), ["trip_distance"])', "LinearRegression"),
             "mlflow-sklearn", origin, "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(), ("num", StandardScaler(), ["trip_distance"])), LinearRegression())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64"),
        Case("columns-onehot-float32-ridge", desc.format('dtype=np.float32, handle_unknown="ignore"', "nothing else", "Ridge"),
             "mlflow-sklearn", origin + "; float32 one-hots to save memory", "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(dtype=np.float32)), Ridge())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64", refused=["Ridge", "float32"]),
        Case("columns-onehot-float32-forest", desc.format('dtype=np.float32, handle_unknown="ignore"', "nothing else", "RandomForestRegressor(6 trees)"),
             "mlflow-sklearn", origin + "; float32 one-hots to save memory", "columns_df",
             mlflow_case(fitted(lambda: pipe(ct(onehot(dtype=np.float32)), forest())), SIG_ZONES_INT),
             requires=pandas, zone_dtype="int64"),
        Case("columns-numpy-array", 'ColumnTransformer(OneHotEncoder on columns [0, 1], remainder="passthrough") + LinearRegression, '
             "fitted on a numpy array", "mlflow-sklearn", "df.to_numpy() before fitting", "columns_df", numpy_array,
             requires=pandas, zone_dtype="int64", refused=["ColumnTransformer", "column names"]),
    ]


def layout_cases():
    import joblib
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import LinearRegression, Ridge

    def fit_pu_do(estimator, recipe="pu_do"):
        def make(ctx):
            vectorizer = dv()
            X = vectorizer.fit_transform(build_features(recipe, ctx.train, RECIPE_FIELDS[recipe]))
            return vectorizer, estimator.fit(X, ctx.durations)
        return make

    def pair_predict(vectorizer, model, recipe="pu_do"):
        return lambda rides: [float(p) for p in model.predict(vectorizer.transform(build_features(recipe, rides, RECIPE_FIELDS[recipe])))]

    def made(estimator, make_obj, recipe="pu_do"):
        """make_obj(dv, model) -> the object the user pickles, from a vectorizer and a model fitted apart."""
        def make(ctx, case):
            vectorizer, model = fit_pu_do(estimator(), recipe)(ctx)
            return make_obj(vectorizer, model), pair_predict(vectorizer, model, recipe)
        return make

    def whole(estimator, recipe="pu_do", wrap=lambda m: m):
        def make(ctx, case):
            model = ctx.fit(pipe(dv(), estimator()), recipe)
            return wrap(model), sklearn_predict(model, recipe, RECIPE_FIELDS[recipe])
        return make

    def joblib_dump(**kw):
        def dump(path, obj):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            joblib.dump(obj, path, **kw)
        return dump

    def prefect_directory(ctx, case, path):
        """The Prefect tutorial: the model and the vectorizer pickled side by side."""
        vectorizer, model = fit_pu_do(LinearRegression(), "zones_str")(ctx)
        X = vectorizer.transform(build_features("zones_str", ctx.train, RECIPE_FIELDS["zones_str"]))
        mse = float(np.mean((model.predict(X) - ctx.durations) ** 2))
        dump_pickle(os.path.join(path, "artifact", "model.pickle"), {"model": model, "mse": mse})
        dump_pickle(os.path.join(path, "artifact", "dv.pickle"), vectorizer)
        return {"location": "artifact", "run_id": label(case), "version": label(case)}, pair_predict(vectorizer, model, "zones_str")

    def two_models(ctx, case, path):
        """The course's models/ folder after trying a second model: which one to serve is a guess."""
        for file_name, estimator in (("lin_reg.bin", LinearRegression()), ("ridge.bin", Ridge(alpha=0.5))):
            vectorizer, model = fit_pu_do(estimator, "zones_str")(ctx)
            dump_pickle(os.path.join(path, "artifact", file_name), (vectorizer, model))
        return {"location": "artifact", "run_id": label(case), "version": label(case)}, None

    def two_vectorizers(ctx, case, path):
        vectorizer, model = fit_pu_do(LinearRegression())(ctx)
        zones = dv().fit(build_features("zones_str", ctx.train, RECIPE_FIELDS["zones_str"]))
        dump_pickle(os.path.join(path, "artifact", "model.pkl"), {"dv": vectorizer, "dv_zones": zones, "model": model})
        return {"location": "artifact/model.pkl", "run_id": label(case), "version": label(case)}, None

    def mlflow_layout(serialization):
        return mlflow_case(lambda ctx: ctx.fit(pipe(dv(), LinearRegression()), "pu_do"), SIG_PU_DO, serialization)

    def lr():
        return LinearRegression()

    def forest():
        return RandomForestRegressor(n_estimators=6, max_depth=10, min_samples_leaf=8, random_state=1)

    def boosting():
        return GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=1)

    joblib_origin = 'scikit-learn docs, "Model persistence" (joblib.dump)'
    cases = [
        Case("layout-mlflow-pickle", "DictVectorizer + LinearRegression", "mlflow-sklearn, serialization_format pickle",
             'mlflow.sklearn.log_model(..., serialization_format="pickle")', "pu_do", mlflow_layout("pickle")),
        Case("layout-mlflow-cloudpickle", "DictVectorizer + LinearRegression", "mlflow-sklearn, serialization_format cloudpickle",
             "mlflow.sklearn.log_model (MLflow's default)", "pu_do", mlflow_layout("cloudpickle"), requires=("cloudpickle",)),
        Case("layout-pickle-file", "DictVectorizer + RandomForestRegressor(6 trees)", "pickle file of the pipeline",
             "pickle.dump(pipeline, f_out)", "pu_do", file_case("model.pkl", whole(forest))),
        Case("layout-tuple-dv-model", "(DictVectorizer, LinearRegression) on PULocationID, DOLocationID (str), trip_distance",
             "pickle file of a (dv, model) tuple", "the course, week 1: models/lin_reg.bin", "zones_str",
             file_case("lin_reg.bin", made(lr, lambda v, m: (v, m), "zones_str"))),
        Case("layout-tuple-model-dv", "(GradientBoostingRegressor, DictVectorizer)", "pickle file of a (model, dv) tuple",
             "the tuple the other way round", "pu_do", file_case("model.bin", made(boosting, lambda v, m: (m, v)))),
        Case("layout-dict-dv-model", '{"dv": DictVectorizer, "model": RandomForestRegressor(6 trees)}', "pickle file of a dict",
             "a dict of the parts", "pu_do", file_case("model.pkl", made(forest, lambda v, m: {"dv": v, "model": m}))),
        Case("layout-dict-model-mse", '{"model": make_pipeline(DictVectorizer, Ridge), "mse": 3.2}', "pickle file of a dict",
             "a dict of the model and its score", "pu_do",
             file_case("model.pkl", whole(lambda: Ridge(alpha=0.5), wrap=lambda m: {"model": m, "mse": 3.2}))),
        Case("layout-prefect-directory", '{"model": LinearRegression, "mse": ...} in model.pickle beside dv.pickle (PULocationID, '
             "DOLocationID (str), trip_distance)", "directory without MLmodel", "the Prefect orchestration tutorial", "zones_str",
             prefect_directory),
        Case("layout-dict-two-vectorizers", '{"dv": DictVectorizer, "dv_zones": DictVectorizer, "model": LinearRegression}',
             "pickle file of a dict", "two preprocessors kept in one dict", "pu_do", two_vectorizers,
             refused=["ambiguous", "DictVectorizer", "dv_zones"]),
        Case("layout-directory-two-models", "lin_reg.bin and ridge.bin, each a (DictVectorizer, model) tuple",
             "directory without MLmodel", "the course's models/ folder after trying Ridge", "zones_str", two_models,
             refused=["ambiguous", "lin_reg.bin", "ridge.bin"]),
        Case("layout-joblib", "DictVectorizer + RandomForestRegressor(6 trees)", "joblib file, uncompressed", joblib_origin,
             "pu_do", file_case("model.joblib", whole(forest), joblib_dump(), ["joblib"])),
        Case("layout-joblib-zlib", "DictVectorizer + LinearRegression", "joblib file, compress=3 (zlib)", joblib_origin,
             "pu_do", file_case("model.joblib", whole(lr), joblib_dump(compress=3), ["joblib"])),
        Case("layout-joblib-gzip", "DictVectorizer + GradientBoostingRegressor(30 trees)", "joblib file, gzip (.gz)", joblib_origin,
             "pu_do", file_case("model.joblib.gz", whole(boosting), joblib_dump(), ["joblib"])),
        Case("layout-joblib-lz4", "DictVectorizer + RandomForestRegressor(6 trees)", "joblib file, lz4 (.lz4)", joblib_origin,
             "pu_do", file_case("model.joblib.lz4", whole(forest), joblib_dump(), ["joblib"]), requires=("lz4",),
             refused=["compress", "lz4"]),
        Case("layout-joblib-bz2", "DictVectorizer + LinearRegression", "joblib file, bz2 (.bz2)", joblib_origin,
             "pu_do", file_case("model.joblib.bz2", whole(lr), joblib_dump(), ["joblib"]), refused=["compress", "bz2"]),
        Case("layout-joblib-xz", "DictVectorizer + LinearRegression", "joblib file, xz (.xz)", joblib_origin,
             "pu_do", file_case("model.joblib.xz", whole(lr), joblib_dump(), ["joblib"]), refused=["compress", "xz"]),
    ]
    return cases


# The course's week-3 hyperparameters (duration-prediction.py), with fewer, shallower trees to stay small.
COURSE_XGB_PARAMS = {"learning_rate": 0.09585355369315604, "max_depth": 6, "min_child_weight": 1.060597050922164,
                     "objective": "reg:linear", "reg_alpha": 0.018060244040060163, "reg_lambda": 0.011658731377413597, "seed": 42}


def run_cases():
    """The course's week-3 run as MLflow logs it: the booster in models_mlflow/, the vectorizer in preprocessor/."""

    def course_vectorizer(ctx):
        vectorizer = dv()
        X = vectorizer.fit_transform(build_features("pu_do", ctx.train, RECIPE_FIELDS["pu_do"]))
        return vectorizer, X

    def artifacts(path, case):
        root = os.path.join(path, "artifact", "1", case.run_id, "artifacts")
        os.makedirs(os.path.join(root, "preprocessor"), exist_ok=True)
        os.makedirs(os.path.join(root, "models_mlflow"), exist_ok=True)
        return root

    def xgboost_run(model_file, model_format):
        def write(ctx, case, path):
            import xgboost as xgb

            vectorizer, X = course_vectorizer(ctx)
            split = int(0.8 * X.shape[0])
            train = xgb.DMatrix(X[:split], label=ctx.durations[:split])
            valid = xgb.DMatrix(X[split:], label=ctx.durations[split:])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                booster = xgb.train(params=COURSE_XGB_PARAMS, dtrain=train, num_boost_round=30, evals=[(valid, "validation")],
                                    early_stopping_rounds=50, verbose_eval=False)
                root = artifacts(path, case)
                booster.save_model(os.path.join(root, "models_mlflow", model_file))
            dump_pickle(os.path.join(root, "preprocessor", "preprocessor.b"), vectorizer)
            with open(os.path.join(root, "models_mlflow", "MLmodel"), "w") as f:
                f.write(mlmodel_header("models_mlflow")
                        + f"  python_function:\n    data: {model_file}\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n"
                          f"    loader_module: mlflow.xgboost\n    python_version: {python_version()}\n"
                          f"  xgboost:\n    code: null\n    data: {model_file}\n    model_class: xgboost.core.Booster\n"
                          f"    model_format: {model_format}\n    xgb_version: {xgb.__version__}\n"
                        + mlmodel_footer(case.run_id))
            env_files(os.path.join(root, "models_mlflow"), [f"mlflow=={MLFLOW_VERSION}", f"xgboost=={xgb.__version__}"])
            # The reference: the booster as MLflow's loader reads it back, predicting as the course does.
            loaded = xgb.Booster(model_file=os.path.join(root, "models_mlflow", model_file))

            def predict(rides):
                return [float(p) for p in loaded.predict(xgb.DMatrix(vectorizer.transform(build_features("pu_do", rides, RECIPE_FIELDS["pu_do"]))))]

            return {"location": f"artifact/1/{case.run_id}/artifacts", "version": case.run_id}, predict
        return write

    def lightgbm_run(ctx, case, path):
        import lightgbm as lgb

        vectorizer, X = course_vectorizer(ctx)
        params = {"objective": "regression", "learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 5, "seed": 42,
                  "deterministic": True, "num_threads": 1, "verbose": -1}
        booster = lgb.train(params, lgb.Dataset(X, label=ctx.durations), num_boost_round=30)
        root = artifacts(path, case)
        booster.save_model(os.path.join(root, "models_mlflow", "model.lgb"))
        dump_pickle(os.path.join(root, "preprocessor", "preprocessor.b"), vectorizer)
        with open(os.path.join(root, "models_mlflow", "MLmodel"), "w") as f:
            f.write(mlmodel_header("models_mlflow")
                    + f"  lightgbm:\n    code: null\n    data: model.lgb\n    lgb_version: {lgb.__version__}\n"
                      "    model_class: lightgbm.basic.Booster\n"
                      "  python_function:\n    data: model.lgb\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n"
                      f"    loader_module: mlflow.lightgbm\n    python_version: {python_version()}\n"
                    + mlmodel_footer(case.run_id))
        env_files(os.path.join(root, "models_mlflow"), [f"mlflow=={MLFLOW_VERSION}", f"lightgbm=={lgb.__version__}"])
        loaded = lgb.Booster(model_file=os.path.join(root, "models_mlflow", "model.lgb"))

        def predict(rides):
            return [float(p) for p in loaded.predict(vectorizer.transform(build_features("pu_do", rides, RECIPE_FIELDS["pu_do"])))]

        return {"location": f"artifact/1/{case.run_id}/artifacts", "version": case.run_id}, predict

    origin = "the course, week 3: mlflow.xgboost.log_model(booster, artifact_path=\"models_mlflow\") and preprocessor/preprocessor.b"
    return [
        Case("xgboost-run-ubj", "xgb.train Booster (UBJSON model.ubj) + DictVectorizer in preprocessor/preprocessor.b",
             "MLflow run artifact root: models_mlflow/ (xgboost flavor) + preprocessor/", origin, "pu_do",
             xgboost_run("model.ubj", "ubj"), requires=("xgboost",), run_id=run_id_of("xgboost-run-ubj"), artifact_path="models_mlflow"),
        Case("xgboost-run-legacy-binary", "xgb.train Booster (legacy binary model.xgb) + DictVectorizer in preprocessor/preprocessor.b",
             "MLflow run artifact root: models_mlflow/ (xgboost flavor) + preprocessor/", origin + "; model.xgb as xgboost 1.7 writes it",
             "pu_do", xgboost_run("model.xgb", "xgb"), requires=("xgboost",), run_id=run_id_of("xgboost-run-legacy-binary"),
             artifact_path="models_mlflow", refused=["model.xgb", "legacy binary", "save_model"]),
        Case("lightgbm-run", "lgb.train Booster (text model.lgb) + DictVectorizer in preprocessor/preprocessor.b",
             "MLflow run artifact root: models_mlflow/ (lightgbm flavor) + preprocessor/",
             "the course's week-3 run with LightGBM: mlflow.lightgbm.log_model(booster, artifact_path=\"models_mlflow\")",
             "pu_do", lightgbm_run, requires=("lightgbm",), run_id=run_id_of("lightgbm-run"), artifact_path="models_mlflow"),
    ]


def all_cases():
    cases = feature_cases() + family_cases() + column_cases() + layout_cases() + run_cases()
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


# ---------------------------------------------------------------------------------------------
# Writing a set


def rides_one_by_one(predict, rides, seen):
    """Predictions, or None for a ride the library refuses on its own: each ride with a pick-up or
    drop-off zone never seen as such in training is predicted alone, the others together."""
    suspect = [any(r[f] not in zones for f, zones in seen.items()) for r in rides]
    together = iter(predict([r for r, s in zip(rides, suspect) if not s]))
    out = []
    for ride, alone in zip(rides, suspect):
        if not alone:
            out.append(next(together))
            continue
        try:
            out.append(predict([ride])[0])
        except ValueError:
            out.append(None)
    return out


def write_case(ctx, case, out_dir):
    path = os.path.join(out_dir, case.name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    extra, predict = case.write(ctx, case, path)
    spec = {
        "name": case.name,
        "location": extra.pop("location"),
        "expect": case.expect(),
        "estimator": extra.pop("estimator", case.estimator),
        "layout": case.layout,
        "origin": case.origin,
        "recipe": case.recipe,
        "features": list(case.fields),
    }
    if case.zone_dtype:
        spec["zone_dtype"] = case.zone_dtype
    if case.run_id:
        spec["run_id"] = case.run_id
    if case.artifact_path:
        spec["artifact_path"] = case.artifact_path
        spec["experiment_id"] = "1"
    # The libraries that wrote the artifact or that its reader needs.
    uses = set(case.requires) | set(extra.pop("uses", ())) | ({"pandas"} if case.recipe == "columns_df" else set())
    spec.update(extra)
    modules = sorted(uses - {"pickle"})
    spec["library"] = versions(*modules)
    if not case.refused:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                predictions = predict(ctx.rides)
            except ValueError:
                # The library refuses some rides: find which, each predicted alone, as the function must.
                predictions = rides_one_by_one(predict, ctx.rides, ctx.seen)
                spec["raises_on"] = [i for i, p in enumerate(predictions) if p is None]
        assert all(p is None or np.isfinite(p) for p in predictions), case.name
        with open(os.path.join(path, "expected.json"), "w") as f:
            json.dump(predictions, f)
    with open(os.path.join(path, "case.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")


def plan():
    cases, skipped = [], []
    for case in all_cases():
        missing = case.missing()
        if missing:
            skipped.append({"name": case.name, "reason": f"needs {', '.join(missing)}, which this Python ({sys.executable}) lacks"})
        else:
            cases.append(case)
    return cases, skipped


def main(argv):
    if argv == ["--list"]:
        cases, skipped = plan()
        optional = [m for m in OPTIONAL if available(m)]
        print(json.dumps({"library": versions(*optional), "cases": [c.summary() for c in cases], "skipped": skipped}))
        return
    if len(argv) != 1:
        sys.exit(__doc__.split("\n\n")[1])
    out_dir = argv[0]
    os.makedirs(out_dir, exist_ok=True)
    cases, skipped = plan()
    made = {c.name for c in cases}
    for stale in os.listdir(out_dir):  # a case folder of an earlier run that this run does not make
        if stale not in made and os.path.isfile(os.path.join(out_dir, stale, "case.json")):
            shutil.rmtree(os.path.join(out_dir, stale))
    ctx = Context()
    with open(os.path.join(out_dir, "rides.json"), "w") as f:
        json.dump(ctx.rides, f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and deprecation notes of the small fits
        for case in cases:
            write_case(ctx, case, out_dir)
    optional = [m for m in OPTIONAL if available(m)]
    manifest = {
        "made_by": "test/coverage/make_coverage_fixtures.py",
        "python": sys.executable,
        "library": versions(*optional),
        "rides": "rides.json",
        "training_rides": TRAINING_RIDES,
        "cases": [c.name for c in cases],
        "skipped": skipped,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
