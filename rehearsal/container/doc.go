// Package container is rehearse's container runtime: PostgreSQL and Odoo
// containers, the run's internal network, volumes, the loopback relay, and
// teardown, on testcontainers-go and the moby client.
//
// Rules it enforces (DESIGN.md, "Safety rules"):
//   - every container, network and volume carries the run's labels
//     (LabelRun, LabelKind, LabelPID, LabelHost), so that Teardown and
//     `rehearse gc` find them all, even after the process was killed;
//   - PostgreSQL and Odoo sit on a network created with Internal=true: no
//     route out. The runner reaches them only through the relay (package
//     relay), whose ports are published on 127.0.0.1 and nowhere else;
//   - images are never pulled: a missing image is an error that says how to
//     get it (make images, or docker pull where a registry exists);
//   - Ryuk is off (it would need a pull); cleanup is ours, by label.
//
// Resources labelled rehearse.kind=cache (the restore cache) outlive runs
// on purpose: GC keeps them unless asked for them.
package container
