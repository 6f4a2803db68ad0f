import acme_billing_client

from asgiapp import app

billing = acme_billing_client.Client
