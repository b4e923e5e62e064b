"""The demo site: the three seed examples as apps, driven through the admin.

Run ``python -m demo`` from the repository root (``--help`` lists the options).
"""
