"""AWS adapters: the only modules that call boto3. Each takes its client as an argument."""
