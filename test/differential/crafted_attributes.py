"""Real fitted models with one attribute set as a pickle writer may set it, and scikit-learn's own verdict.

    python3 crafted_attributes.py OUT_DIR     # OUT_DIR/<case>.pkl and OUT_DIR/cases.json

Each case is a model fitted here, then changed the way an unusual user or a writer of the model
bucket could: an int where a flag is a bool, a fitted array that disagrees with its flag,
categories out of order. cases.json holds, per case, the rides it is asked about, what
scikit-learn's predict makes of them (or the error it raises), and what the runtime must do:
serve exactly those predictions, or refuse the model with a message matching `refusal`.
"""
import json
import os
import pickle
import sys

import numpy as np
import pandas as pd
from sklearn._loss.loss import HalfPoissonLoss
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor, VotingRegressor
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression, PoissonRegressor, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
N = 400
pu, do, dist = rng.integers(1, 60, N), rng.integers(1, 60, N), rng.uniform(0.1, 20, N)
y = 5 + 3 * dist + (pu % 7) + rng.normal(0, 1, N)
TRAIN_DICTS = [{"PU_DO": f"{a}_{b}", "trip_distance": float(c)} for a, b, c in zip(pu, do, dist)]
TRAIN_FRAME = pd.DataFrame({"PULocationID": pu, "DOLocationID": do, "trip_distance": dist})
# The last ride is beyond the training distances, so that clipping and scaling show.
RIDES = [{"PULocationID": a, "DOLocationID": b, "trip_distance": c} for a, b, c in [(1, 2, 3.66), (5, 7, 0.5), (30, 40, 12.25), (59, 1, 45.0)]]


def as_dicts(rides):
    return [{"PU_DO": f"{r['PULocationID']}_{r['DOLocationID']}", "trip_distance": r["trip_distance"]} for r in rides]


def columns(scaler, encoder=None):
    blocks = [("num", scaler, ["trip_distance"])]
    if encoder is not None:
        blocks.append(("zones", encoder, ["PULocationID", "DOLocationID"]))
    return ColumnTransformer(blocks)


cases = []


def case(name, model, frame, change, refusal=None):
    """Fits, changes, pickles; records scikit-learn's predictions (or error) after the change."""
    model.fit(TRAIN_FRAME if frame else TRAIN_DICTS, y)
    change(model)
    with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=4)
    X = pd.DataFrame(RIDES) if frame else as_dicts(RIDES)
    try:
        python = {"predictions": [float(p) for p in model.predict(X)]}
    except Exception as error:  # noqa: BLE001: any failure of predict is the verdict
        python = {"error": f"{type(error).__name__}: {error}"}
    cases.append({"name": name, "file": f"{name}.pkl", "python": python, "refusal": refusal})


def step(index, block=None):
    """The fitted step (or a ColumnTransformer block's fitted transformer) of a pipeline."""
    def get(model):
        s = model.steps[index][1]
        return s if block is None else s.transformers_[block][1]
    return get


def setting(get, **attributes):
    def change(model):
        for name, value in attributes.items():
            setattr(get(model), name, value)
    return change


# Flags are read as Python's `if self.flag:` reads them: 1 is True.
case("standard-scaler-with-mean-1", make_pipeline(columns(StandardScaler()), LinearRegression()), True, setting(step(0, 0), with_mean=1))
case("standard-scaler-with-std-1-sparse", make_pipeline(DictVectorizer(), StandardScaler(with_mean=False), LinearRegression()), False,
     setting(step(1), with_std=1))
case("standard-scaler-with-mean-numpy-bool", make_pipeline(columns(StandardScaler()), LinearRegression()), True,
     setting(step(0, 0), with_mean=np.bool_(True)))
case("robust-scaler-with-scaling-0", make_pipeline(columns(RobustScaler()), LinearRegression()), True,
     lambda m: setattr(step(0, 0)(m), "with_scaling", 0) or setattr(step(0, 0)(m), "scale_", None))
case("min-max-scaler-clip-1", make_pipeline(columns(MinMaxScaler()), LinearRegression()), True, setting(step(0, 0), clip=1))
case("dict-vectorizer-sparse-0", make_pipeline(DictVectorizer(sparse=False), LinearRegression()), False, setting(step(0), sparse=0))
case("target-scaler-with-std-1", TransformedTargetRegressor(make_pipeline(DictVectorizer(), LinearRegression()), transformer=StandardScaler()), False,
     lambda m: setattr(m.transformer_, "with_std", 1))
case("column-transformer-sparse-output-1",
     make_pipeline(columns(StandardScaler(), OneHotEncoder(handle_unknown="ignore")), LinearRegression()), True,
     setting(step(0), sparse_output_=1))
case("flag-that-is-a-string", make_pipeline(columns(StandardScaler()), LinearRegression()), True, setting(step(0, 0), with_mean="no"),
     refusal=r"with_mean: expected True or False, got \"no\"")
# A fitted array that disagrees with its flag: scikit-learn scales a sparse matrix by scale_ whatever with_std says.
case("standard-scaler-scale-without-with-std", make_pipeline(DictVectorizer(), StandardScaler(with_mean=False), LinearRegression()), False,
     setting(step(1), with_std=False), refusal=r"scale_: is set with with_std=False, which no fit makes")
case("standard-scaler-with-std-and-no-scale", make_pipeline(columns(StandardScaler()), LinearRegression()), True,
     setting(step(0, 0), scale_=None), refusal=r"scale_: is None with with_std=True")
case("target-scaler-with-std-and-no-scale",
     TransformedTargetRegressor(make_pipeline(DictVectorizer(), LinearRegression()), transformer=StandardScaler()), False,
     lambda m: setattr(m.transformer_, "scale_", None), refusal=r"scale_: is None with with_std=True")

# No fit makes a zero scale (fit replaces it by 1); divided by it every ride is infinite, which the regressor refuses.
case("standard-scaler-scale-zero", make_pipeline(columns(StandardScaler()), LinearRegression()), True,
     setting(step(0, 0), scale_=np.array([0.0])), refusal=r"scale: holds a 0, which no fit makes")
case("one-hot-infrequent-enabled-1",
     make_pipeline(columns(StandardScaler(), OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)), LinearRegression()), True,
     setting(step(0, 1), _infrequent_enabled=1), refusal=r"groups infrequent categories")


# DictVectorizer's transform calls self.dtype(value): a dtype instance is float64 in name, and fails in scikit-learn.
case("dict-vectorizer-dtype-instance", make_pipeline(DictVectorizer(), LinearRegression()), False,
     setting(step(0), dtype=np.dtype("float64")), refusal=r"dtype: is the dtype instance numpy.dtype\(\"f8\"\), which scikit-learn's transform cannot call")


# Zones fitted as astype(str) of a float column ("130.0"): no ride's zone text is one of them, so every ride would be unknown.
def float_text_categories(model):
    encoder = step(0, 1)(model)
    encoder.categories_ = [np.array([f"{float(c)}" for c in cats], dtype=object) for cats in encoder.categories_]


case("one-hot-float-text-zones",
     make_pipeline(columns(StandardScaler(), OneHotEncoder(handle_unknown="ignore")), LinearRegression()), True,
     float_text_categories, refusal=r"PULocationID has categories the handler never makes from a ride.*\"1\.0\"")

# Numeric categories are encoded by np.searchsorted, which needs them sorted.
def reverse_categories(model):
    encoder = step(0, 1)(model)
    encoder.categories_[0] = encoder.categories_[0][::-1].copy()


case("one-hot-numeric-categories-unsorted",
     make_pipeline(columns(StandardScaler(), OneHotEncoder(handle_unknown="ignore")), LinearRegression()), True,
     reverse_categories, refusal=r"categories_\[0\]: numeric categories out of order")

# A GLM as scikit-learn 1.0 pickled it, before the common losses: no _base_loss (predict then fails here).
def without_base_loss(model):
    del step(1)(model)._base_loss


case("glm-without-base-loss", make_pipeline(DictVectorizer(), PoissonRegressor(max_iter=300)), False, without_base_loss,
     refusal=r"has no _base_loss: it was pickled by scikit-learn 1\.0 or older, whose PoissonRegressor is not read")

# A last step of None or "passthrough": scikit-learn's Pipeline then has nothing to predict with.
def ending_with(last):
    return lambda model: model.steps.append(("end", last))


case("pipeline-last-step-passthrough", make_pipeline(DictVectorizer(), LinearRegression()), False, ending_with("passthrough"),
     refusal=r'LinearRegression predicts, but the last step is None or "passthrough"')
case("pipeline-last-step-none", make_pipeline(DictVectorizer(), LinearRegression()), False, ending_with(None),
     refusal=r'LinearRegression predicts, but the last step is None or "passthrough"')

# A 0-d coef_ is a scalar: X @ coef_ refuses it, where a reader that broadcasts it would scale every feature.
case("linear-coef-0-d", make_pipeline(DictVectorizer(), LinearRegression()), False, setting(step(1), coef_=np.array(0.5)),
     refusal=r"coef_: a 0-d array \(a scalar\)")

# The loss sets how predict starts (its link of the initial prediction): only the identity-link losses GradientBoostingRegressor has.
gradient_boosting = lambda: make_pipeline(DictVectorizer(), GradientBoostingRegressor(n_estimators=5, max_depth=2, random_state=1))  # noqa: E731
case("gradient-boosting-loss-none", gradient_boosting(), False, setting(step(1), _loss=None),
     refusal=r"_loss: None is not a loss GradientBoostingRegressor predicts with")
case("gradient-boosting-loss-with-log-link", gradient_boosting(), False, setting(step(1), _loss=HalfPoissonLoss()),
     refusal=r"HalfPoissonLoss has a log link")

# An estimator as init (predict starts from its predictions): refused by name, not as a missing n_outputs_.
case("gradient-boosting-init-estimator",
     make_pipeline(DictVectorizer(), GradientBoostingRegressor(n_estimators=5, max_depth=2, init=LinearRegression(), random_state=1)), False,
     lambda model: None, refusal=r'init_: sklearn\.linear_model\._base\.LinearRegression: only the default init \(a DummyRegressor\) and init="zero"')


# A regressor fitted on a DataFrame alone: nothing makes its columns of a ride, and the message says what would.
case("regressor-fitted-on-a-dataframe-alone", LinearRegression(), True, lambda model: None,
     refusal=r'was fitted on a pandas DataFrame of the columns "PULocationID", "DOLocationID", "trip_distance", with no featurizer before it')
case("column-transformer-of-passthrough-columns",
     make_pipeline(ColumnTransformer([("columns", "passthrough", ["PULocationID", "DOLocationID", "trip_distance"])]), LinearRegression()),
     True, lambda model: None)


# An empty separator: "PU_DO1_2" names no feature of its own, and the message lists the columns as they are.
case("dict-vectorizer-empty-separator", make_pipeline(DictVectorizer(separator=""), LinearRegression()), False, lambda model: None,
     refusal=r'features the handler never prepares: PU_DO\d+_\d+, .* \(DictVectorizer\(separator=""\) joins a feature and its value with nothing between')


# A member fitted on a 2-D y predicts a column, and np.average over axis 1 then mixes the rides.
def members_fitted_on_a_column(model):
    model.estimators_ = [clone.fit(TRAIN_DICTS, y.reshape(-1, 1)) for clone in
                         (make_pipeline(DictVectorizer(), LinearRegression()), make_pipeline(DictVectorizer(), Ridge()))]


case("voting-members-fitted-on-a-column",
     VotingRegressor([("linear", make_pipeline(DictVectorizer(), LinearRegression())), ("ridge", make_pipeline(DictVectorizer(), Ridge()))]),
     False, members_fitted_on_a_column, refusal=r"estimators_\[0\]: predicts a column \(it was fitted on a 2-D y\)")

# A pipeline that holds itself (scikit-learn's predict recurses until RecursionError), and a nesting no real model has.
case("pipeline-holding-itself", make_pipeline(DictVectorizer(), LinearRegression()), False,
     lambda model: model.steps.append(("again", model)), refusal=r"estimators nested more than 64 deep: an estimator that holds itself")


def nested(levels):
    model = make_pipeline(DictVectorizer(), LinearRegression())
    for level in range(levels):
        model = Pipeline([(f"level{level}", model)])
    return model


# Served, and in time: each level once (a pipeline of one step once read it twice, doubling at each level).
case("pipelines-nested-40-deep", nested(40), False, lambda model: None)
case("pipelines-nested-80-deep", nested(80), False, lambda model: None, refusal=r"estimators nested more than 64 deep")


# One scaler shared through the memo by a pipeline of two copies of a pipeline of two copies...: 2^14 scalers from a small file.
def doubling(model):
    shared = model.steps[1][1]
    for _ in range(14):
        shared = Pipeline([("a", shared), ("b", shared)])
    model.steps[1] = ("scalers", shared)


case("pipeline-doubling-through-the-memo", make_pipeline(DictVectorizer(), MaxAbsScaler(), LinearRegression()), False, doubling,
     refusal=r"the model has more than 10,000 estimators and steps")

json.dump({"rides": RIDES, "cases": cases}, open(os.path.join(out, "cases.json"), "w"), indent=1)
