"""The differential test's real pickles, one of each family the runtime serves, made by the scikit-learn at hand.

    python3 make_sources.py OUT_DIR     # OUT_DIR/<family>.pkl and OUT_DIR/rides.json (feature dicts)

Small models (a few trees, shallow), so that a few hundred mutants are judged in seconds; the
protocols and shapes users save: Pipelines at protocols 2 to 5, the course's (dv, model) tuple.
"""
import json
import os
import pickle
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import synthetic_rides  # noqa: E402
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor, HistGradientBoostingRegressor, RandomForestRegressor  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import ElasticNet, LinearRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rides, y = synthetic_rides.generate(600, seed=21)
X = [synthetic_rides.prepare_features(r) for r in rides]
test_rides, _ = synthetic_rides.generate(40, seed=22)
rows = [synthetic_rides.prepare_features(r) for r in test_rides]
families = {
    "linear-protocol4": (make_pipeline(DictVectorizer(), LinearRegression()), 4),
    "ridge-protocol2": (make_pipeline(DictVectorizer(), Ridge(alpha=0.5)), 2),
    "elastic-net-protocol3": (make_pipeline(DictVectorizer(), ElasticNet(alpha=0.01)), 3),
    "tree-protocol5": (make_pipeline(DictVectorizer(), DecisionTreeRegressor(max_depth=5, random_state=1)), 5),
    "forest-protocol4": (make_pipeline(DictVectorizer(), RandomForestRegressor(n_estimators=3, max_depth=4, random_state=1)), 4),
    "extra-trees-protocol2": (make_pipeline(DictVectorizer(), ExtraTreesRegressor(n_estimators=3, max_depth=4, random_state=1)), 2),
    "boosting-protocol4": (make_pipeline(DictVectorizer(), GradientBoostingRegressor(n_estimators=4, max_depth=2, random_state=1)), 4),
    "hist-boosting-protocol5": (make_pipeline(DictVectorizer(sparse=False), HistGradientBoostingRegressor(max_iter=4, max_depth=3)), 5),
}
for name, (pipeline, protocol) in families.items():
    pipeline.fit(X, y)
    with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
        pickle.dump(pipeline, f, protocol=protocol)
dv = DictVectorizer()
model = LinearRegression().fit(dv.fit_transform(X), y)
with open(os.path.join(out, "course-tuple-protocol2.pkl"), "wb") as f:
    pickle.dump((dv, model), f, protocol=2)
json.dump(rows, open(os.path.join(out, "rides.json"), "w"))
