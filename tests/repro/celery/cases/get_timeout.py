from tasks import add

result = add.delay(2, 3)  # no worker consumes this queue
print(result.get(timeout=1))
