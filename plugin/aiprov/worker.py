"""Entry point of an isolated reader process: `python -m aiprov.worker RECV_FD SEND_FD SETTINGS_JSON`."""

import json
import os
import sys

from .isolation import worker_main
from .reader import ReadSettings

if __name__ == "__main__":
    # Nothing a native library prints may reach the parent's channel: stdout goes to stderr.
    os.dup2(2, 1)
    worker_main(int(sys.argv[1]), int(sys.argv[2]), ReadSettings(**json.loads(sys.argv[3])))
