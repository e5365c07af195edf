"""``python -m icp_xl`` runs the icp-xl command line."""

from icp_xl.cli import run

run()
