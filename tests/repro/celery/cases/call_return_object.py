from tasks import load_invoice

load_invoice.delay(7)
print("sent")
