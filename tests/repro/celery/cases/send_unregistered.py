from tasks import app

# the producer knows a task name the worker does not have
app.send_task("tasks.send_invoice", args=[42])
print("sent")
