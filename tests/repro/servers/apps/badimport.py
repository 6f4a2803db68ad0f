import acme_billing_client

billing = acme_billing_client.Client
