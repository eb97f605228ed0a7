"""Runs llama.cpp's OpenAI-compatible HTTP server (the `xllamacpp` wheel) on loopback.

    python llama_server.py MODEL.gguf PORT

Serves until SIGTERM/SIGINT. Used by test_real_model.py.
"""

import signal
import sys
import threading

import xllamacpp


def main() -> None:
    model, port = sys.argv[1], int(sys.argv[2])
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.port = port
    params.hostnames = ["127.0.0.1"]
    params.n_ctx = 4096
    params.n_predict = 48  # short answers keep the test fast; wording is never asserted
    server = xllamacpp.Server(params)  # noqa: F841 (keeps the server alive)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()


if __name__ == "__main__":
    main()
