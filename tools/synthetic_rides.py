"""Synthetic but plausible NYC-style taxi rides, for the demo model and the parity tests.

265 zones laid out on a plane, a few busy ones (like Manhattan's) drawing most pickups;
distance follows the zones' separation with detours, and duration follows distance with a
zone-dependent congestion factor and noise. Deterministic for a given seed.
"""
import numpy as np

N_ZONES = 265


def _zones(rng):
    xy = rng.uniform(0, 20, size=(N_ZONES, 2))
    popularity = 1.0 / np.arange(1, N_ZONES + 1) ** 1.1  # Zipf-like: a few zones dominate
    popularity = rng.permutation(popularity)
    congestion = rng.uniform(0.8, 1.6, size=N_ZONES)
    return xy, popularity / popularity.sum(), congestion


def generate(n, seed=42):
    """n rides as (dicts shaped like the handler's input 'ride', durations in minutes)."""
    rng = np.random.default_rng(seed)
    xy, popularity, congestion = _zones(np.random.default_rng(2024))  # the city never changes
    pu = rng.choice(N_ZONES, size=n, p=popularity)
    do = np.where(rng.random(n) < 0.3, pu, rng.choice(N_ZONES, size=n, p=popularity))
    separation = np.linalg.norm(xy[pu] - xy[do], axis=1)
    distance = np.round((separation * rng.uniform(1.05, 1.6, size=n) + rng.exponential(0.8, size=n)), 2)
    minutes_per_mile = 2.2 * (congestion[pu] + congestion[do]) / 2
    duration = np.clip(3 + distance * minutes_per_mile + rng.normal(0, 3, size=n), 1, 60)
    rides = [
        {"PULocationID": int(p) + 1, "DOLocationID": int(d) + 1, "trip_distance": float(t)}
        for p, d, t in zip(pu, do, distance)
    ]
    return rides, duration


def prepare_features(ride):
    """Exactly what the handler does (lambda/src/rides/features.ts)."""
    return {"PU_DO": "%s_%s" % (ride["PULocationID"], ride["DOLocationID"]), "trip_distance": ride["trip_distance"]}
