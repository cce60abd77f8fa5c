"""scikit-learn's linear regressors, fitted here, and their own predictions.

    python3 linear_models.py OUT_DIR     # OUT_DIR/<case>.pkl and OUT_DIR/cases.json

One DictVectorizer pipeline per linear family and setting the runtime serves as
X @ coef_ + intercept_ (through the inverse link for the GLMs): every Tweedie power and link,
SGD's averaged coefficients, no intercept, a 2-D target. Run by Debian's scikit-learn, these
are the pickles of scikit-learn before 1.4, whose Cython losses are pickled with a checksum.
cases.json holds the rides and, per case, scikit-learn's predictions the runtime must serve.
"""
import json
import os
import pickle
import sys
import warnings

import numpy as np
from sklearn import linear_model as lm
from sklearn.feature_extraction import DictVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVR

warnings.filterwarnings("ignore")  # convergence warnings of the few iterations asked for
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
N = 300
pu, do, dist = rng.integers(1, 30, N), rng.integers(1, 30, N), rng.uniform(0.1, 20, N)
y = 5 + 3 * dist + (pu % 7) + rng.normal(0, 1, N)
TRAIN = [{"PU_DO": f"{a}_{b}", "trip_distance": float(c)} for a, b, c in zip(pu, do, dist)]
RIDES = [{"PULocationID": a, "DOLocationID": b, "trip_distance": c} for a, b, c in [(1, 2, 3.66), (5, 7, 0.5), (20, 21, 12.25), (3, 1, 45.0)]]
X_RIDES = [{"PU_DO": f"{r['PULocationID']}_{r['DOLocationID']}", "trip_distance": r["trip_distance"]} for r in RIDES]

REGRESSORS = {
    "sgd-average": lm.SGDRegressor(average=True, random_state=0),
    "sgd-average-10": lm.SGDRegressor(average=10, random_state=0),
    "sgd-no-intercept": lm.SGDRegressor(fit_intercept=False, random_state=0),
    "passive-aggressive": lm.PassiveAggressiveRegressor(random_state=0),
    "huber": lm.HuberRegressor(max_iter=500),
    "quantile": lm.QuantileRegressor(alpha=0, solver="highs"),
    "linear-svr": LinearSVR(random_state=0, max_iter=5000),
    "linear-no-intercept": lm.LinearRegression(fit_intercept=False),
    "poisson": lm.PoissonRegressor(),
    "poisson-no-intercept": lm.PoissonRegressor(fit_intercept=False),
    "gamma": lm.GammaRegressor(),
    "tweedie-0": lm.TweedieRegressor(power=0),
    "tweedie-0-log": lm.TweedieRegressor(power=0, link="log"),
    "tweedie-1": lm.TweedieRegressor(power=1),
    "tweedie-1-identity": lm.TweedieRegressor(power=1, link="identity", alpha=0.1),
    "tweedie-1.5": lm.TweedieRegressor(power=1.5),
    "tweedie-1.5-identity": lm.TweedieRegressor(power=1.5, link="identity"),
    "tweedie-2": lm.TweedieRegressor(power=2),
    "tweedie-3": lm.TweedieRegressor(power=3),
}

cases = []


def case(name, model, target):
    model.fit(TRAIN, target)
    with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=4)
    cases.append({"name": name, "file": f"{name}.pkl", "predictions": [float(p) for p in np.ravel(model.predict(X_RIDES))]})


for name, regressor in REGRESSORS.items():
    case(name, make_pipeline(DictVectorizer(), regressor), y)
# A 2-D target of one column: coef_ of shape (1, n), intercept_ of shape (1,).
case("linear-2d-target", make_pipeline(DictVectorizer(), lm.LinearRegression()), y.reshape(-1, 1))

json.dump({"rides": RIDES, "cases": cases}, open(os.path.join(out, "cases.json"), "w"), indent=1)
