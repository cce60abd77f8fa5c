#!/usr/bin/env python3
"""Export a fitted ride-duration pipeline to the portable JSON model format.

The function reads the files users have itself (MLflow's sklearn, xgboost and lightgbm
flavors, pickles and joblib files, XGBoost's JSON and UBJSON models; the README's "What the
function serves"). This exporter is for what it cannot read as saved: an XGBoost Booster in
XGBoost's legacy binary format (model.xgb of xgboost 2.0 and older), a joblib file compressed
with bz2, xz, lzma or lz4. Run it where the model was trained (it needs the same libraries
that saved it):

    python3 tools/export_model.py path/to/mlflow/model          # an MLflow sklearn model directory
    python3 tools/export_model.py model.pkl -o out/model.json   # a pickle/joblib Pipeline or (dv, model)
    python3 tools/export_model.py model.xgb --vectorizer preprocessor.b -o model.json   # a legacy binary Booster

It writes model.json next to the input (inside the MLflow directory, beside MLmodel), with
the sha256 of the pickle it came from: the function serves a model.json beside a pickle only
when that pickle cannot be read natively and the hash matches, so an export is never served
stale. The format is documented in docs/model-format.md.
"""
import argparse
import base64
import hashlib
import json
import math
import os
import pickle
import re
import sys

FORMAT = "sklearn-pipeline-json"
FORMAT_VERSION = 1
OUTPUT_NAME = "model.json"

LINEAR_MODELS = ("LinearRegression", "Ridge", "Lasso", "ElasticNet")
FORESTS = ("RandomForestRegressor", "ExtraTreesRegressor")
SUPPORTED = ("DictVectorizer",) + LINEAR_MODELS + ("DecisionTreeRegressor",) + FORESTS + (
    "GradientBoostingRegressor",
    "HistGradientBoostingRegressor",
    "XGBRegressor",
    "Booster",
)
# HistGradientBoostingRegressor losses by how a raw prediction becomes a prediction.
HIST_GRADIENT_BOOSTING_LINKS = {
    "squared_error": "identity",
    "least_squares": "identity",
    "absolute_error": "identity",
    "least_absolute_deviation": "identity",
    "quantile": "identity",
    "poisson": "exp",
    "gamma": "exp",
}
# XGBoost objectives by how a margin becomes a prediction.
XGBOOST_LINKS = {
    "reg:squarederror": "identity",
    "reg:absoluteerror": "identity",
    "reg:pseudohubererror": "identity",
    "reg:quantileerror": "identity",
    "reg:squaredlogerror": "identity",
    "count:poisson": "exp",
    "reg:gamma": "exp",
    "reg:tweedie": "exp",
}


class ExportError(Exception):
    """A model that cannot be exported; the message says why and what to do."""


def model_file(path):
    """The pickle a path names: the file itself, or an MLflow directory's pickled model."""
    return os.path.join(path, pickled_model_name(path)) if os.path.isdir(path) else path


BOOSTER_FILES = (".json", ".ubj", ".xgb", ".model", ".bst")


def load_model(path, vectorizer=None):
    """Load the fitted object from a pickle/joblib file or an MLflow sklearn model directory,
    or an XGBoost Booster file (JSON, UBJSON or the legacy binary model.xgb of xgboost 2.0 and
    older, which the function does not read) together with its pickled DictVectorizer."""
    if vectorizer is not None or path.endswith(BOOSTER_FILES):
        if vectorizer is None:
            raise ExportError("an XGBoost Booster file needs --vectorizer, the pickled DictVectorizer it was trained behind")
        import xgboost

        booster = xgboost.Booster()
        booster.load_model(path)
        return (load_model(vectorizer), booster)
    path = model_file(path)
    if not os.path.isfile(path):
        raise ExportError(f"{path}: no such file")
    try:
        import joblib  # joblib reads plain pickles too, and its own compressed format

        return joblib.load(path)
    except ImportError:
        with open(path, "rb") as f:
            return pickle.load(f)


def pickled_model_name(model_dir):
    """The pickle an MLflow model directory holds, as its MLmodel file names it."""
    mlmodel = os.path.join(model_dir, "MLmodel")
    if not os.path.isfile(mlmodel):
        raise ExportError(f"{model_dir}: not an MLflow model directory (no MLmodel file)")
    with open(mlmodel, encoding="utf-8") as f:
        match = re.search(r"^\s*pickled_model:\s*(\S+)\s*$", f.read(), re.MULTILINE)
    if match is None:
        raise ExportError(f"{mlmodel}: no sklearn flavor with a pickled_model entry")
    return match.group(1)


def pipeline_steps(obj):
    """The (vectorizer, regressor) pair of a Pipeline, or of the course's (dv, model) tuple."""
    steps = getattr(obj, "steps", None)
    if steps is not None:
        estimators = [step for _, step in steps if step not in (None, "passthrough")]
    elif isinstance(obj, (tuple, list)):
        estimators = list(obj)
    else:
        raise ExportError(
            f"expected a Pipeline(DictVectorizer, regressor) or a (dv, model) tuple, "
            f"got {type(obj).__name__}"
        )
    names = [type(e).__name__ for e in estimators]
    unsupported = [n for n in names if n not in SUPPORTED]
    if unsupported:
        raise ExportError(
            f"unsupported step(s): {', '.join(unsupported)}; supported: {', '.join(SUPPORTED)}"
        )
    if len(estimators) != 2 or names[0] != "DictVectorizer" or names[1] == "DictVectorizer":
        raise ExportError(f"expected exactly DictVectorizer then one regressor, got {names}")
    return estimators


def export_dict_vectorizer(dv):
    import numpy as np

    if np.dtype(dv.dtype) != np.float64:
        raise ExportError(f"DictVectorizer(dtype={np.dtype(dv.dtype).name}) is not supported; use float64")
    return {
        "type": "DictVectorizer",
        "separator": dv.separator,
        "feature_names": [str(name) for name in dv.feature_names_],
        # With a dense matrix an absent one-hot is a 0 the model saw, not a missing value.
        "sparse": bool(dv.sparse),
    }


def single_output(values, what):
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    if values.ndim > 1 and values.shape[0] != 1:
        raise ExportError(f"{what}: multi-output regressors are not supported")
    return values.ravel()


def packed(values, dtype):
    """A numeric array as little-endian bytes in base64: a forest of 100 deep trees loads
    several times faster, and in less memory, than from lists of JSON numbers."""
    import numpy as np

    array = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dtype": np.dtype(dtype).name, "base64": base64.b64encode(array.tobytes()).decode("ascii")}


def export_tree(tree):
    if tree.n_outputs != 1:
        raise ExportError("multi-output trees are not supported")
    return {
        "children_left": packed(tree.children_left, "int32"),
        "children_right": packed(tree.children_right, "int32"),
        "feature": packed(tree.feature, "int32"),
        "threshold": packed(tree.threshold, "float64"),
        "value": packed(tree.value[:, 0, 0], "float64"),
    }


def export_xgboost(booster, tree_limit=None):
    """An XGBoost gbtree booster: its trees as XGBoost walks them (float32 values, `<` splits,
    a default direction for missing features) and the objective's link."""
    import numpy as np

    learner = json.loads(booster.save_raw("json"))["learner"]
    gbm, params, objective = learner["gradient_booster"], learner["learner_model_param"], learner["objective"]["name"]
    if gbm["name"] != "gbtree":
        raise ExportError(f"XGBoost booster {gbm['name']!r} is not supported; only gbtree")
    if int(params.get("num_class", "0")) > 0 or int(params.get("num_target", "1")) != 1:
        raise ExportError("XGBoost models with several outputs are not supported")
    if objective not in XGBOOST_LINKS:
        raise ExportError(f"XGBoost objective {objective} is not supported; supported: {', '.join(XGBOOST_LINKS)}")
    if XGBOOST_LINKS[objective] == "exp":
        # The runtime refuses these (lambda/src/model/families/xgboost.ts): exporting one would only move the refusal to the start.
        raise ExportError(
            f"XGBoost objective {objective} predicts exp(margin) through the C library's float32 expf, whose last bit differs "
            "from one platform to another: the function cannot serve it exactly; train with an identity objective such as "
            "reg:squarederror (wrap it in a TransformedTargetRegressor for a log target)"
        )
    trees = gbm["model"]["trees"][:tree_limit]
    if any(t["split_type"] and max(t["split_type"]) > 0 for t in trees):
        raise ExportError("XGBoost categorical splits are not supported")
    base_score = np.float32(float(params["base_score"]))
    # The margin the trees add to: base_score passed through the inverse of the link.
    base_margin = np.log(base_score) if XGBOOST_LINKS[objective] == "exp" else base_score
    return {
        "type": "XGBoost",
        "objective": objective,
        "link": XGBOOST_LINKS[objective],
        "base_margin": float(np.float32(base_margin)),
        "trees": [
            {
                "children_left": packed(t["left_children"], "int32"),
                "children_right": packed(t["right_children"], "int32"),
                "feature": packed(t["split_indices"], "int32"),
                # Split thresholds at inner nodes, leaf values at leaves: float32 in XGBoost.
                "threshold": packed(np.asarray(t["split_conditions"], dtype=np.float32), "float64"),
                "default_left": packed(t["default_left"], "int32"),
            }
            for t in trees
        ],
    }


def xgboost_tree_limit(model):
    """XGBRegressor.predict stops at the best iteration when early stopping found one: the
    trees of its first best_iteration + 1 rounds, each round num_parallel_tree trees."""
    try:
        rounds = int(model.best_iteration) + 1
    except AttributeError:
        return None
    gbm = json.loads(model.get_booster().save_raw("json"))["learner"]["gradient_booster"]
    if gbm["name"] != "gbtree":
        raise ExportError(f"XGBoost booster {gbm['name']!r} is not supported; only gbtree")
    return rounds * int(gbm["model"].get("gbtree_model_param", {}).get("num_parallel_tree", "1"))


def gradient_boosting_init(model):
    """The constant raw prediction the boosting stages are added to."""
    init = model.init_
    if isinstance(init, str) and init == "zero":
        return 0.0
    if type(init).__name__ == "DummyRegressor":
        return float(single_output(init.constant_, "GradientBoostingRegressor.init_")[0])
    raise ExportError(f"GradientBoostingRegressor(init={type(init).__name__}) is not supported")


def export_hist_gradient_boosting(model):
    """HistGradientBoostingRegressor: its trees as sklearn's predictor walks them (float64
    thresholds, leaf values with the learning rate applied), the baseline and the loss's link."""
    import numpy as np

    if getattr(model, "_preprocessor", None) is not None or (
        getattr(model, "is_categorical_", None) is not None and np.any(model.is_categorical_)
    ):
        raise ExportError("HistGradientBoostingRegressor with categorical features is not supported")
    loss = model.loss if isinstance(model.loss, str) else type(model.loss).__name__
    if loss not in HIST_GRADIENT_BOOSTING_LINKS:
        raise ExportError(f"HistGradientBoostingRegressor(loss={loss!r}) is not supported")
    if model.n_trees_per_iteration_ != 1:
        raise ExportError("HistGradientBoostingRegressor with several outputs is not supported")
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        if np.any(nodes["is_categorical"]):
            raise ExportError("HistGradientBoostingRegressor with categorical splits is not supported")
        leaf = nodes["is_leaf"].astype(bool)
        trees.append({
            "children_left": packed(np.where(leaf, -1, nodes["left"].astype(np.int64)), "int32"),
            "children_right": packed(np.where(leaf, -1, nodes["right"].astype(np.int64)), "int32"),
            "feature": packed(np.where(leaf, -2, nodes["feature_idx"]), "int32"),
            "threshold": packed(nodes["num_threshold"], "float64"),
            "value": packed(nodes["value"], "float64"),
        })
    return {
        "type": "HistGradientBoostingRegressor",
        "baseline": float(np.ravel(model._baseline_prediction)[0]),
        "link": HIST_GRADIENT_BOOSTING_LINKS[loss],
        "trees": trees,
    }


def export_regressor(model):
    kind = type(model).__name__
    if kind in LINEAR_MODELS:
        coef = single_output(model.coef_, kind)
        intercept = single_output(model.intercept_, kind)  # a scalar, or one value per output
        return {"type": kind, "coef": coef.tolist(), "intercept": float(intercept[0])}
    if kind == "DecisionTreeRegressor":
        return {"type": kind, "tree": export_tree(model.tree_)}
    if kind in FORESTS:
        return {"type": kind, "trees": [export_tree(e.tree_) for e in model.estimators_]}
    if kind == "GradientBoostingRegressor":
        if model.estimators_.shape[1] != 1:
            raise ExportError("GradientBoostingRegressor with several outputs is not supported")
        return {
            "type": kind,
            "init": gradient_boosting_init(model),
            "learning_rate": float(model.learning_rate),
            "trees": [export_tree(stage[0].tree_) for stage in model.estimators_],
        }
    if kind == "HistGradientBoostingRegressor":
        return export_hist_gradient_boosting(model)
    if kind == "XGBRegressor":
        # XGBoost takes every value equal to `missing` as absent; the runtime takes only NaN so.
        if model.missing is not None and not math.isnan(model.missing):
            raise ExportError(
                f"XGBRegressor(missing={model.missing!r}) is not supported: XGBoost then treats every "
                f"{model.missing!r} (a trip_distance of {model.missing!r}, an absent one-hot column) as missing; "
                "train with the default missing=nan"
            )
        return export_xgboost(model.get_booster(), xgboost_tree_limit(model))
    if kind == "Booster":
        return export_xgboost(model)
    raise ExportError(f"unsupported regressor {kind}")  # pipeline_steps already refused it


def export_pipeline(obj, source, source_sha256=None):
    import sklearn

    dv, regressor = pipeline_steps(obj)
    steps = [export_dict_vectorizer(dv), export_regressor(regressor)]
    n_features = len(steps[0]["feature_names"])
    n_in = regressor.num_features() if type(regressor).__name__ == "Booster" else getattr(regressor, "n_features_in_", n_features)
    if n_in != n_features:
        raise ExportError(f"the regressor expects {n_in} features but the DictVectorizer makes {n_features}")
    steps[1]["n_features_in"] = int(n_in)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "producer": {
            "tool": "tools/export_model.py",
            "sklearn_version": sklearn.__version__,
            "source": source,
            **({"source_sha256": source_sha256} if source_sha256 else {}),
        },
        "steps": steps,
    }


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_model(exported, output):
    with open(output, "w", encoding="utf-8") as f:
        # Python's float repr round-trips exactly, so the runtime sees the very same doubles.
        json.dump(exported, f, allow_nan=False, separators=(",", ":"))


def default_output(path):
    directory = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    return os.path.join(directory, OUTPUT_NAME)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="an MLflow sklearn model directory, or a pickle/joblib file")
    parser.add_argument("-o", "--output", help=f"where to write the JSON model (default: {OUTPUT_NAME} next to the input)")
    parser.add_argument("--vectorizer", help="with an XGBoost Booster saved as JSON: its pickled DictVectorizer")
    args = parser.parse_args(argv)
    output = args.output or default_output(args.model)
    if os.path.abspath(output) == os.path.abspath(args.model):
        print(f"export_model: {args.model}: writing {OUTPUT_NAME} would overwrite the input; pass -o", file=sys.stderr)
        return 2
    try:
        model = load_model(args.model, args.vectorizer)
        # The pickle's hash: a model.json beside it is served only while it matches.
        source_sha256 = None if args.vectorizer is not None or args.model.endswith(BOOSTER_FILES) else file_sha256(model_file(args.model))
        exported = export_pipeline(model, os.path.basename(os.path.normpath(args.model)), source_sha256)
    except ExportError as e:
        print(f"export_model: {args.model}: {e}", file=sys.stderr)
        return 2
    write_model(exported, output)
    kinds = " -> ".join(step["type"] for step in exported["steps"])
    print(f"wrote {output} ({kinds}, {len(exported['steps'][0]['feature_names'])} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
