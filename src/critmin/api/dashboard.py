"""Placeholder router: filled in by the dashboard endpoints."""

from fastapi import APIRouter

router = APIRouter()
