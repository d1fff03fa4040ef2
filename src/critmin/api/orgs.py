"""Placeholder router: filled in by the orgs endpoints."""

from fastapi import APIRouter

router = APIRouter()
