"""The clinic aftercare shop: configuration, services, the aftercare engine and blueprints."""
