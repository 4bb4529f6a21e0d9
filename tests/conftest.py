"""Shared pytest settings: run from the repository root; notebooks set their own cwd."""
import os, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault('MPLBACKEND', 'Agg')
