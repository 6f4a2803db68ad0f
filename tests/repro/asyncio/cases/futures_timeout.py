import time
from concurrent.futures import ThreadPoolExecutor


def render_report():
    time.sleep(0.5)


with ThreadPoolExecutor() as pool:
    pool.submit(render_report).result(timeout=0.05)
