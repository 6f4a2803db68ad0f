"""The Celery app used by the reproductions: Redis broker, optional Redis result backend."""

import os
import signal
import time

from celery import Celery

app = Celery(
    "tasks",
    broker=os.environ["BROKER_URL"],
    backend=os.environ.get("RESULT_BACKEND") or None,
)
app.conf.task_default_queue = os.environ.get("QUEUE", "celery")
app.conf.broker_connection_retry_on_startup = True
if os.environ.get("TASK_SERIALIZER"):
    app.conf.task_serializer = os.environ["TASK_SERIALIZER"]


@app.task
def add(x, y):
    return x + y


@app.task(soft_time_limit=1)
def build_report(seconds):
    time.sleep(seconds)


@app.task(soft_time_limit=1)
def build_report_safely(seconds):
    from celery.exceptions import SoftTimeLimitExceeded

    try:
        time.sleep(seconds)
    except SoftTimeLimitExceeded:
        print("report cut short, saving partial result")
        return "partial"


@app.task(time_limit=1)
def resize_video(seconds):
    time.sleep(seconds)


@app.task
def crunch_numbers():
    # stands in for the kernel OOM killer, which ends a child that uses too much memory
    os.kill(os.getpid(), signal.SIGKILL)


class Invoice:
    def __init__(self, number):
        self.number = number


@app.task
def load_invoice(number):
    return Invoice(number)
