-- Config change notices for writers without a bus connection (the operator CLI): when a transaction
-- that bumped a tenant's config generation commits, Postgres notifies `switchyard_config_changed`
-- with the tenant, and every config service instance relays it to the gateways' read caches
-- (`<prefix>.cfgchg.<tenant>`). Notifications are sent at commit only; a rolled-back bump sends none,
-- and several bumps of one tenant in one transaction are sent once.
CREATE FUNCTION config.notify_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('switchyard_config_changed', NEW.tenant);
  RETURN NULL;
END;
$$;

CREATE TRIGGER generations_notify
  AFTER INSERT OR UPDATE ON config.generations
  FOR EACH ROW EXECUTE FUNCTION config.notify_generation_bump();
