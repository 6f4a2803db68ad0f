from fastapi import FastAPI, Response

app = FastAPI()


@app.get("/report")
def report():
    body = "résumé report"
    # bug: the header counts characters, the body is UTF-8 bytes (two more)
    return Response(content=body.encode(), headers={"Content-Length": str(len(body))},
                    media_type="text/plain")


@app.get("/report-ok")
def report_ok():
    return Response(content="résumé report".encode(), media_type="text/plain")


@app.get("/orders/")
def orders():
    return []
