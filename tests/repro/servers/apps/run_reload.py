import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()

if __name__ == "__main__":
    port = int(sys.argv[1])
    if sys.argv[2] == "object":
        uvicorn.run(app, host="127.0.0.1", port=port, reload=True)
    else:
        uvicorn.run("run_reload:app", host="127.0.0.1", port=port, reload=True)
