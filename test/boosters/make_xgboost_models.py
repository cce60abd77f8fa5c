#!/usr/bin/env python3
"""Fit XGBoost models (Debian's xgboost 1.7.4) on synthetic rides behind a DictVectorizer and
save them every way users do, with XGBoost's own predictions, for test/emulators/boosters-xgboost.test.ts.

    /usr/bin/python3 test/boosters/make_xgboost_models.py OUT_DIR

Writes OUT_DIR/rows.json (the test rides as CSR rows of the sparse and the dense vectorizer),
the model files, and OUT_DIR/cases.json: per case its file, how the runtime reads it, and
XGBoost's predictions (and margins) on those rows, or the refusal it must give.
"""
import json
import math
import os
import pickle
import sys

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
# One thread: OpenMP's spinning threads take minutes on a busy two-core machine, and one thread is deterministic.
os.environ["OMP_NUM_THREADS"] = "1"

import xgboost as xgb  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402

import synthetic_rides  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

rides, duration = synthetic_rides.generate(2500, seed=7)
features = [synthetic_rides.prepare_features(r) for r in rides]
# The dense vectorizer one-hots the pickup and drop-off zones apart: PU_DO would be too wide a dense matrix.
dense_features = [{"PU": str(r["PULocationID"]), "DO": str(r["DOLocationID"]), "trip_distance": r["trip_distance"]} for r in rides]
train, test = slice(0, 2000), slice(2000, 2500)

sparse_dv = DictVectorizer().fit(features[train])
dense_dv = DictVectorizer(sparse=False).fit(dense_features[train])
X_sparse = sparse_dv.transform(features)
X_dense = dense_dv.transform(dense_features)
y = np.asarray(duration)


def boundary_rows(model, X, dv):
    """Test rows at, and one float32 step either side of, the model's splits on trip_distance:
    XGBoost compares float32 values with `<`."""
    column = dv.feature_names_.index("trip_distance")
    doc = json.loads(model.get_booster().save_raw("json"))
    gbm = doc["learner"]["gradient_booster"]
    trees = (gbm["gbtree"] if gbm["name"] == "dart" else gbm)["model"]["trees"]
    splits = sorted({np.float32(c) for t in trees for i, c in zip(t["split_indices"], t["split_conditions"])
                     if i == column and c > 0})[:60]
    base = X[test][:1]
    base = np.asarray(base.todense()) if sp.issparse(base) else base
    rows = []
    for s in splits:
        for v in (np.nextafter(s, np.float32(-np.inf)), s, np.nextafter(s, np.float32(np.inf))):
            row = base.copy()
            row[0, column] = float(v)
            rows.append(row)
    rows = np.vstack(rows)
    return sp.csr_matrix(rows) if sp.issparse(X) else rows


def csr(X):
    m = sp.csr_matrix(X)
    m.sort_indices()
    return {"indptr": m.indptr.tolist(), "indices": m.indices.tolist(), "data": m.data.tolist(), "width": m.shape[1]}


cases = {}
files = {}


def record(name, path, kind, api, X_test, dense, predict, margin=None, refused=None, **extra):
    case = {"file": path, "kind": kind, "api": api, "absentIsZero": dense, "rows": name, **extra}
    if refused is None:
        case["expected"] = [float(v) for v in predict(X_test)]
        if margin is not None:
            case["margins"] = [float(v) for v in margin(X_test)]
            # exp of XGBoost's margins, correctly rounded to float32: what glibc's expf gives but for about 1 input in 1,600.
            case["roundedExp"] = [float(np.float32(math.exp(m))) for m in case["margins"]]
        files[name] = csr(X_test)
    else:
        case["refused"] = refused
    cases[name] = case


def test_rows(model, dense, boundary=False):
    X = X_dense if dense else X_sparse
    rows = X[test]
    if boundary:
        extra = boundary_rows(model, X, dense_dv if dense else sparse_dv)
        rows = np.vstack([rows, extra]) if dense else sp.vstack([rows, extra]).tocsr()
    return rows


def fit(params, dense=False, early_stopping=False, sklearn_class=xgb.XGBRegressor):
    X = X_dense if dense else X_sparse
    # hist unless the case says: exact on this wide sparse matrix takes seconds per model.
    model = sklearn_class(random_state=1, **{"tree_method": "hist", **params})
    if early_stopping:
        model.set_params(early_stopping_rounds=5)
        model.fit(X[:1600], y[:1600], eval_set=[(X[1600:2000], y[1600:2000])], verbose=False)
    else:
        model.fit(X[train], y[train])
    return model


def save_pickle(model, name, protocol):
    path = f"{name}.pkl"
    with open(os.path.join(out, path), "wb") as f:
        pickle.dump(model, f, protocol=protocol)
    return path


def regressor_cases(name, params, dense=False, early_stopping=False, protocols=(4,), boundary=False, exp_link=False):
    model = fit(params, dense, early_stopping)
    rows = test_rows(model, dense, boundary)
    margin = (lambda X: model.predict(X, output_margin=True)) if exp_link else None
    extra = {"bestIteration": model.best_iteration, "rounds": model.get_booster().num_boosted_rounds()} if early_stopping else {}
    for p in protocols:
        record(f"{name}_p{p}", save_pickle(model, f"{name}_p{p}", p), "pickle", "XGBRegressor", rows, dense, model.predict, margin, **extra)
    return model, rows


# XGBRegressor pickles (what mlflow.sklearn.log_model writes, and pickle.dump), at every protocol.
regressor_cases("regressor", {"n_estimators": 30, "max_depth": 6, "tree_method": "exact"}, protocols=(2, 3, 4, 5), boundary=True)
regressor_cases("regressor_dense", {"n_estimators": 40, "max_depth": 5, "tree_method": "hist"}, dense=True, protocols=(4,), boundary=True)
es_model, es_rows = regressor_cases("early_stopping", {"n_estimators": 300, "learning_rate": 0.3, "max_depth": 6}, early_stopping=True, protocols=(5,))
regressor_cases("parallel_trees", {"n_estimators": 200, "learning_rate": 0.5, "num_parallel_tree": 3, "subsample": 0.8,
                                   "colsample_bynode": 0.8, "max_depth": 4}, early_stopping=True, protocols=(4,))
dart, dart_rows = regressor_cases("dart", {"booster": "dart", "n_estimators": 30, "max_depth": 4, "rate_drop": 0.2, "skip_drop": 0.1, "tree_method": "exact"},
                                  protocols=(4,))
# What Booster.predict(DMatrix) gives for the same dart model (xgboost 1.3's XGBRegressor.predict went that way).
cases["dart_p4"]["dmatrixExpected"] = [float(v) for v in dart.get_booster().predict(xgb.DMatrix(dart_rows))]
regressor_cases("dart_dense_gamma", {"booster": "dart", "objective": "reg:gamma", "n_estimators": 30, "max_depth": 4, "tree_method": "exact",
                                     "rate_drop": 0.2}, dense=True, protocols=(5,), exp_link=True)
for objective in ("reg:gamma", "count:poisson", "reg:tweedie"):
    short = objective.split(":")[1]
    regressor_cases(short, {"objective": objective, "n_estimators": 50, "max_depth": 5}, protocols=(4,), exp_link=True)
regressor_cases("poisson_base_score", {"objective": "count:poisson", "n_estimators": 30, "max_depth": 4, "base_score": 12.5}, protocols=(4,), exp_link=True)
for objective in ("reg:pseudohubererror", "reg:absoluteerror", "reg:squaredlogerror"):
    regressor_cases(objective.split(":")[1], {"objective": objective, "n_estimators": 30, "max_depth": 4}, protocols=(4,))
# gblinear: a linear model, summed in float32 over each row's entries in feature order.
regressor_cases("gblinear", {"booster": "gblinear", "n_estimators": 20, "tree_method": "exact"}, protocols=(4,))
regressor_cases("gblinear_dense_gamma", {"booster": "gblinear", "objective": "reg:gamma", "n_estimators": 20, "tree_method": "exact"},
                dense=True, protocols=(5,), exp_link=True)
rf = xgb.XGBRFRegressor(n_estimators=20, max_depth=6, tree_method="hist", random_state=1).fit(X_sparse[train], y[train])
record("random_forest_p4", save_pickle(rf, "random_forest_p4", 4), "pickle", "XGBRegressor", X_sparse[test], False, rf.predict)

# A Booster trained with xgb.train on a matrix with named columns, saved the ways save_model and MLflow's flavor write it.
names = [f"f_{n}" for n in sparse_dv.feature_names_]
booster = xgb.train({"max_depth": 5, "eta": 0.2, "seed": 1, "tree_method": "hist"}, xgb.DMatrix(X_sparse[train], y[train], feature_names=names), num_boost_round=40)
booster_predict = lambda X: booster.predict(xgb.DMatrix(X, feature_names=names))  # noqa: E731
for ext in ("json", "ubj"):
    booster.save_model(os.path.join(out, f"booster.{ext}"))
    record(f"booster_{ext}", f"booster.{ext}", "file", "Booster", X_sparse[test], False, booster_predict, featureNames=names)
booster.save_model(os.path.join(out, "booster.xgb"))
record("booster_xgb", "booster.xgb", "file", "Booster", None, False, None, refused="legacy binary format")
record("booster_pickle", save_pickle(booster, "booster_pickle", 5), "pickle", "Booster", X_sparse[test], False, booster_predict)

# dart saved as a file and read by Booster.predict(DMatrix): the other way dart's weights add up.
dart_booster = fit({"booster": "dart", "n_estimators": 30, "max_depth": 4, "rate_drop": 0.2, "tree_method": "exact"}).get_booster()
dart_booster.save_model(os.path.join(out, "dart_booster.json"))
record("dart_booster_json", "dart_booster.json", "file", "Booster", X_sparse[test], False, lambda X: dart_booster.predict(xgb.DMatrix(X)))

# XGBRegressor.save_model with early stopping: what mlflow.xgboost.log_model writes for model_class XGBRegressor.
es_model.save_model(os.path.join(out, "early_stopping_regressor.json"))
loaded = xgb.XGBRegressor()
loaded.load_model(os.path.join(out, "early_stopping_regressor.json"))
record("early_stopping_regressor_json", "early_stopping_regressor.json", "file", "XGBRegressor", es_rows, False, loaded.predict,
       bestIteration=es_model.best_iteration)
record("early_stopping_as_booster_json", "early_stopping_regressor.json", "file", "Booster", es_rows, False,
       lambda X: loaded.get_booster().predict(xgb.DMatrix(X)))
es_model.save_model(os.path.join(out, "early_stopping_regressor.ubj"))

# A document whose trees are listed out of order: XGBoost puts each tree at its "id", and that order decides the
# float32 sum and which trees best_iteration keeps. A writer that reorders the array changes nothing to XGBoost.
with open(os.path.join(out, "early_stopping_regressor.json")) as f:
    es_document = json.load(f)


def crafted(name, change):
    document = json.loads(json.dumps(es_document))
    change(document["learner"])
    path = f"{name}.json"
    with open(os.path.join(out, path), "w") as f:
        json.dump(document, f)
    return path


es_trees = lambda learner: learner["gradient_booster"]["model"]["trees"]  # noqa: E731
reordered = crafted("reordered_trees", lambda learner: es_trees(learner).reverse())
reordered_regressor = xgb.XGBRegressor()
reordered_regressor.load_model(os.path.join(out, reordered))
record("reordered_trees_regressor_json", reordered, "file", "XGBRegressor", es_rows, False, reordered_regressor.predict)
record("reordered_trees_booster_json", reordered, "file", "Booster", es_rows, False,
       lambda X: xgb.Booster(model_file=os.path.join(out, reordered)).predict(xgb.DMatrix(X)))


def default_left(value):
    """Every split's default direction set to `value`."""
    def change(learner):
        for tree in es_trees(learner):
            tree["default_left"] = [value] * len(tree["default_left"])
    return change


def base_score(text):
    def change(learner):
        learner["learner_model_param"]["base_score"] = text
    return change


def same_predictions(a, b):
    return np.array_equal(xgb.Booster(model_file=os.path.join(out, a)).predict(xgb.DMatrix(es_rows)),
                          xgb.Booster(model_file=os.path.join(out, b)).predict(xgb.DMatrix(es_rows)))


# Values that read as another one to XGBoost than they look: refused. Each is checked here against xgboost.
default_two = crafted("default_left_two", default_left(2))
# XGBoost sends a missing value left only for a 1: a 2 goes right, as a 0 does.
assert same_predictions(default_two, crafted("default_left_zero", default_left(0)))
assert not same_predictions(default_two, crafted("default_left_one", default_left(1)))
record("default_left_two", default_two, "file", "Booster", None, False, None, refused="default_left")
for name, text in (("base_score_space", " 2.5"), ("base_score_digits", "1.500000000"), ("base_score_hex", "0x10")):
    path = crafted(name, base_score(text))
    # XGBoost's parameter parser does not read these as the number they look like: it keeps base_score 0.5.
    assert same_predictions(path, crafted(f"{name}_default", base_score("5E-1"))), f"XGBoost reads base_score {text!r}"
    record(name, path, "file", "Booster", None, False, None, refused="base_score")
# XGBoost crashes on these (a segmentation fault): they are not loaded here.
record("repeated_tree_id", crafted("repeated_tree_id", lambda learner: es_trees(learner)[1].update(id=0)), "file", "Booster", None, False,
       None, refused="is the id of two trees")
record("num_trees_short", crafted("num_trees_short", lambda learner: learner["gradient_booster"]["model"]["gbtree_model_param"].update(
    num_trees="5")), "file", "Booster", None, False, None, refused="num_trees")
record("fractional_split_index", crafted("fractional_split_index", lambda learner: es_trees(learner)[0]["split_indices"].__setitem__(
    0, es_trees(learner)[0]["split_indices"][0] + 0.5)), "file", "Booster", None, False, None, refused="is not an integer")

# Refused: each with the message it must give.
missing = fit({"n_estimators": 5, "missing": 0.0})
record("missing_zero", save_pickle(missing, "missing_zero", 4), "pickle", "XGBRegressor", None, False, None, refused="missing=0.0")
missing.save_model(os.path.join(out, "missing_zero.json"))
record("missing_zero_json", "missing_zero.json", "file", "XGBRegressor", None, False, None, refused="missing=0.0")
classifier = xgb.XGBRegressor(objective="binary:logistic", n_estimators=5).fit(X_sparse[train], (y[train] > 15).astype(int))
record("logistic", save_pickle(classifier, "logistic", 4), "pickle", "XGBRegressor", None, False, None, refused="binary:logistic")
two_targets = xgb.XGBRegressor(n_estimators=5, tree_method="hist").fit(X_dense[train], np.c_[y[train], y[train] * 2])
record("two_targets", save_pickle(two_targets, "two_targets", 4), "pickle", "XGBRegressor", None, False, None, refused="several outputs")

with open(os.path.join(out, "rows.json"), "w") as f:
    json.dump(files, f)
with open(os.path.join(out, "cases.json"), "w") as f:
    json.dump({"xgboost": xgb.__version__, "cases": cases}, f)
print(len(cases), "cases")
