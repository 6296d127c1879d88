"""Runs the fastloss benchmark (the harness lives in fastloss.benchmark)."""

import sys

from fastloss.benchmark import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
