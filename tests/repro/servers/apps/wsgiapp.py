import time


def make_row(item, total):
    return f"{item},{total}\n".encode()


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(30)
    if environ["PATH_INFO"] == "/csv":
        start_response("200 OK", [("Content-Type", "text/csv")])
        return [make_row("pen")]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
