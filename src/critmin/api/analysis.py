"""Placeholder router: filled in by the analysis endpoints."""

from fastapi import APIRouter

router = APIRouter()
