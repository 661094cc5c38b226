// Requests each tenant has in flight on this gateway: a tenant at its cap is refused (-32001) while
// other tenants' requests still find room in the gateway and the services behind it.
export class TenantInFlight {
  private readonly counts = new Map<string, number>();

  count(tenant: string): number {
    return this.counts.get(tenant) ?? 0;
  }

  started(tenant: string): void {
    this.counts.set(tenant, this.count(tenant) + 1);
  }

  finished(tenant: string): void {
    const left = this.count(tenant) - 1;
    if (left > 0) this.counts.set(tenant, left);
    else this.counts.delete(tenant);
  }
}
