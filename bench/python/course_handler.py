"""The Python course's streaming handler, the benchmark's peer, written from its description.

Like the course's lambda_function.py: configuration and the model load at import, a
pickled sklearn Pipeline (DictVectorizer + regressor) fetched from the MLflow layout in S3
(mlflow.pyfunc.load_model does the same download and unpickle), then per record: base64
decode, json.loads, prepare_features, predict one ride, and (unless TEST_RUN) one
put_record per prediction. lambda_handler_vectorized is the fair variant: the same, but
the whole batch predicted in one call and written with put_records in chunks of 500.
"""
import base64
import json
import os
import pickle
import tempfile

import boto3

PREDICTIONS_STREAM_NAME = os.getenv("PREDICTIONS_STREAM_NAME", "ride_predictions")
RUN_ID = os.getenv("RUN_ID")
TEST_RUN = os.getenv("TEST_RUN", "False") in ("True", "true", "1")
kinesis_client = boto3.client("kinesis", endpoint_url=os.getenv("KINESIS_ENDPOINT_URL"))


def load_model():
    location = os.getenv("MODEL_LOCATION")
    if location is None:
        s3 = boto3.client("s3", endpoint_url=os.getenv("S3_ENDPOINT_URL"))
        key = f"{os.getenv('MLFLOW_EXPERIMENT_ID', '1')}/{RUN_ID}/artifacts/model/model.pkl"
        location = tempfile.mkdtemp()
        s3.download_file(os.environ["MODEL_BUCKET"], key, os.path.join(location, "model.pkl"))
    with open(os.path.join(location, "model.pkl"), "rb") as f:
        return pickle.load(f)


model = load_model()


def prepare_features(ride):
    features = {}
    features["PU_DO"] = "%s_%s" % (ride["PULocationID"], ride["DOLocationID"])
    features["trip_distance"] = ride["trip_distance"]
    return features


def predict(features):
    pred = model.predict([features])
    return float(pred[0])


def prediction_event(prediction, ride_id):
    return {
        "model": "ride_duration_prediction_model",
        "version": RUN_ID,
        "prediction": {"ride_duration": prediction, "ride_id": ride_id},
    }


def lambda_handler(event, context):
    predictions_events = []
    for record in event["Records"]:
        encoded_data = record["kinesis"]["data"]
        decoded_data = base64.b64decode(encoded_data).decode("utf-8")
        ride_event = json.loads(decoded_data)
        ride = ride_event["ride"]
        ride_id = ride_event["ride_id"]
        features = prepare_features(ride)
        prediction = predict(features)
        prediction_event_ = prediction_event(prediction, ride_id)
        if not TEST_RUN:
            kinesis_client.put_record(
                StreamName=PREDICTIONS_STREAM_NAME,
                Data=json.dumps(prediction_event_),
                PartitionKey=str(ride_id),
            )
        predictions_events.append(prediction_event_)
    return {"predictions": predictions_events}


def lambda_handler_vectorized(event, context):
    ride_events = [json.loads(base64.b64decode(r["kinesis"]["data"]).decode("utf-8")) for r in event["Records"]]
    predictions = model.predict([prepare_features(e["ride"]) for e in ride_events])
    predictions_events = [prediction_event(float(p), e["ride_id"]) for p, e in zip(predictions, ride_events)]
    if not TEST_RUN:
        for i in range(0, len(predictions_events), 500):
            chunk = predictions_events[i : i + 500]
            kinesis_client.put_records(
                StreamName=PREDICTIONS_STREAM_NAME,
                Records=[{"Data": json.dumps(p), "PartitionKey": str(p["prediction"]["ride_id"])} for p in chunk],
            )
    return {"predictions": predictions_events}
