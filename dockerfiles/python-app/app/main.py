"""A small Flask service: the source a `source` change rewrites."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/")
def index():
    return jsonify(service="python-app", version="1.0.0")
