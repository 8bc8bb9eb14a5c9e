"""Print the app's run-time requirements (pyproject's [project].dependencies), one per line, for the image's base.

The base image is keyed by this list, so the application layer can change without reinstalling the packages.
"""

import sys
import tomllib

with open(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
