-- Production-like rows for the neutralization tests: live mail servers,
-- active crons (the autovacuum among them), a live payment provider, IAP
-- tokens, a webhook server action, a mail template pinned to a server.
INSERT INTO public.ir_module_module (id, name, state, latest_version) VALUES
 (1, 'base', 'installed', '16.0.1.3'),
 (2, 'web', 'installed', '16.0.1.0'),
 (3, 'mail', 'installed', '16.0.1.10'),
 (4, 'payment', 'installed', '16.0.2.0'),
 (5, 'iap', 'to upgrade', '16.0.1.1'),
 (6, 'website', 'installed', '16.0.1.0'),
 (7, 'delivery', 'installed', '16.0.1.0'),
 (8, 'fetchmail', 'uninstalled', NULL),
 (9, 'crm', 'installed', '16.0.1.7');

INSERT INTO public.ir_mail_server (id, name, smtp_host, smtp_port, smtp_authentication, smtp_encryption, smtp_user, smtp_pass, active, sequence) VALUES
 (1, 'Office 365', 'smtp.office365.com', 587, 'login', 'starttls', 'erp@example.com', 'prod-smtp-secret', true, 10),
 (2, 'Mailgun', 'smtp.mailgun.org', 465, 'login', 'ssl', 'postmaster@example.com', 'prod-smtp-secret-2', true, 20),
 (3, 'old relay', 'relay.example.com', 25, 'login', 'none', NULL, NULL, false, 30);

INSERT INTO public.ir_actions (id, name, type, binding_type) VALUES
 (101, '{"en_US": "Base: Auto-vacuum internal data"}', 'ir.actions.server', 'action'),
 (102, '{"en_US": "Mail: Email Queue Manager"}', 'ir.actions.server', 'action'),
 (103, '{"en_US": "CRM: enrich leads"}', 'ir.actions.server', 'action'),
 (104, '{"en_US": "Notify the shop"}', 'ir.actions.server', 'action');
INSERT INTO public.ir_act_server (id, name, type, binding_type, model_id, usage, state, code) VALUES
 (101, '{"en_US": "Base: Auto-vacuum internal data"}', 'ir.actions.server', 'action', 1, 'ir_cron', 'code', 'model._run_vacuum_cleaner()'),
 (102, '{"en_US": "Mail: Email Queue Manager"}', 'ir.actions.server', 'action', 1, 'ir_cron', 'code', 'model.process_email_queue()'),
 (103, '{"en_US": "CRM: enrich leads"}', 'ir.actions.server', 'action', 1, 'ir_cron', 'code', 'model._iap_enrich_leads_cron()'),
 (104, '{"en_US": "Notify the shop"}', 'ir.actions.server', 'action', 1, 'ir_actions', 'code', 'pass');

INSERT INTO public.ir_cron (id, ir_actions_server_id, user_id, cron_name, active, interval_number, interval_type, numbercall, nextcall, priority) VALUES
 (1, 101, 1, '{"en_US": "Base: Auto-vacuum internal data"}', true, 1, 'days', -1, '2026-11-25 00:00:00', 5),
 (2, 102, 1, '{"en_US": "Mail: Email Queue Manager"}', true, 1, 'hours', -1, '2026-11-25 00:00:00', 5),
 (3, 103, 1, '{"en_US": "CRM: enrich leads"}', true, 1, 'days', -1, '2026-11-25 00:00:00', 5);

INSERT INTO public.ir_model_data (id, res_id, noupdate, name, module, model) VALUES
 (5124, 1, false, 'autovacuum_job', 'base', 'ir.cron'),
 (5125, 2, false, 'ir_cron_mail_scheduler_action', 'mail', 'ir.cron'),
 -- a custom module's cron with the same name must not escape
 (5126, 3, false, 'autovacuum_job', 'x_crm_custom', 'ir.cron');

INSERT INTO public.ir_config_parameter (id, key, value) VALUES
 (1, 'database.uuid', '6f1c2a1e-0000-4000-8000-00000000beef'),
 (2, 'web.base.url', 'https://erp.example.com'),
 (3, 'database.enterprise_code', 'M1234567890'),
 (4, 'database.create_date', '2020-01-01 00:00:00');

INSERT INTO public.ir_ui_view (id, name, key, type, mode, priority, active, arch_db) VALUES
 (213, 'neutralize_banner', 'web.neutralize_banner', 'qweb', 'primary', 16, false, '{"en_US": "<t/>"}'),
 (214, 'neutralize_ribbon', 'website.neutralize_ribbon', 'qweb', 'primary', 16, false, '{"en_US": "<t/>"}');

INSERT INTO public.fetchmail_server (id, name, server_type, active, state, server, port, "user", password) VALUES
 (1, 'support inbox', 'imap', true, 'done', 'imap.example.com', 993, 'support@example.com', 'prod-imap-secret');

INSERT INTO public.payment_provider (id, company_id, code, state, name) VALUES
 (1, 1, 'stripe', 'enabled', '{"en_US": "Stripe"}'),
 (2, 1, 'adyen', 'test', '{"en_US": "Adyen"}'),
 (3, 1, 'transfer', 'disabled', '{"en_US": "Wire Transfer"}');

INSERT INTO public.iap_account (id, service_name, account_token) VALUES
 (1, 'reveal', 'a1b2c3d4e5f6'),
 (2, 'sms', 'ffeeddccbbaa+oldsuffix'),
 (3, 'partner_autocomplete', NULL);

INSERT INTO public.mail_template (id, name, model, mail_server_id) VALUES
 (1, '{"en_US": "Sales Order: Send by email"}', 'sale.order', 1),
 (2, '{"en_US": "Invoice: Send by email"}', 'account.move', NULL);

INSERT INTO public.website (id, name, domain, company_id, default_lang_id, cdn_activated, cdn_url, robots_txt) VALUES
 (1, 'My Shop', 'https://shop.example.com', 1, 1, true, 'https://cdn.example.com', 'User-agent: *');

INSERT INTO public.delivery_carrier (id, name, active, delivery_type, prod_environment, product_id) VALUES
 (1, '{"en_US": "Standard delivery"}', true, 'fixed', false, 1),
 (2, '{"en_US": "UPS"}', true, 'ups', true, 2),
 (3, '{"en_US": "Zone rules"}', true, 'base_on_rule', true, 3);

-- The rows above have explicit ids; move the sequences past them as a real
-- database has them.
SELECT setval('public.ir_module_module_id_seq', 100), setval('public.ir_mail_server_id_seq', 100),
       setval('public.ir_actions_id_seq', 1000), setval('public.ir_cron_id_seq', 100),
       setval('public.ir_model_data_id_seq', 10000), setval('public.ir_config_parameter_id_seq', 100),
       setval('public.ir_ui_view_id_seq', 1000), setval('public.fetchmail_server_id_seq', 100),
       setval('public.payment_provider_id_seq', 100), setval('public.iap_account_id_seq', 100),
       setval('public.mail_template_id_seq', 100), setval('public.website_id_seq', 100),
       setval('public.delivery_carrier_id_seq', 100);
