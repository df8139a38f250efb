"""Entry file: serve the audit flow on a schedule (``python flows/deploy.py CONFIG [CRON]``).

Same as ``synthscope serve``; the code is ``synthscope.orchestration.deploy``.
"""

import sys

from synthscope.orchestration.deploy import serve

if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "configs/demo.yaml", sys.argv[2] if len(sys.argv) > 2 else "0 3 * * *")
