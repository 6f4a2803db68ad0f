import os
import time

import redis

r = redis.Redis.from_url(os.environ["REDIS_URL"])
r.bgsave()  # the RDB snapshot cannot be written (read-only or full disk)
deadline = time.monotonic() + 10
while r.info("persistence")["rdb_bgsave_in_progress"] and time.monotonic() < deadline:
    time.sleep(0.05)
r.set("session:42", "data")
