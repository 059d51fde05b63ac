"""VPC networks and their subnets (``input:networks``), e.g. for Cloud Run Direct VPC egress,
where a service or job names a network and a subnet to send its traffic through
(https://cloud.google.com/run/docs/configuring/vpc-direct-vpc)."""

from __future__ import annotations

from typing import Any

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.platform_model import COMPUTE_API
from polyinfra.foundation.resources import BuildContext

NAME = "networks"
API = COMPUTE_API
ARGS = argspec.NETWORK_ARGS
SUBNET_ARGS = argspec.SUBNETWORK_ARGS


def build(ctx: BuildContext) -> None:
    """Declare ``compute.Network`` and ``compute.Subnetwork`` resources."""
    import pulumi_gcp as gcp

    for network in ctx.config.input.networks:
        # Custom subnet mode unless the stack file says otherwise: auto mode would add a subnet
        # in every region, in 10.128.0.0/9, next to the ones declared here.
        args: dict[str, Any] = {"auto_create_subnetworks": False, **network.args}
        declared = gcp.compute.Network(
            resource_name=make_resource_name("network", network.name),
            opts=ctx.options(api=API),
            **ctx.with_labels(ARGS, args),
        )
        ctx.resources.networks[network.name] = declared
        subnets = ctx.resources.subnets.setdefault(network.name, {})
        for subnet in network.subnets:
            region = subnet.region or ctx.config.gcp.region
            assert region is not None  # validated
            subnets[subnet.name] = gcp.compute.Subnetwork(
                resource_name=make_resource_name("subnetwork", subnet.name, region),
                network=declared.id,
                opts=ctx.options(api=API),
                **ctx.with_labels(SUBNET_ARGS, {**subnet.args, "region": region}),
            )
