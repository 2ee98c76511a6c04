-- Real DDL of the tables the admin reset touches, as pg_dump wrote them in
-- the Odoo 16.0 backup ../shared/odoo/backups/prod16.zip (dump.sql).
CREATE TABLE public.res_users (
    id integer NOT NULL,
    company_id integer NOT NULL,
    partner_id integer NOT NULL,
    active boolean DEFAULT true,
    create_date timestamp without time zone,
    login character varying NOT NULL,
    password character varying,
    action_id integer,
    create_uid integer,
    write_uid integer,
    signature text,
    share boolean,
    write_date timestamp without time zone,
    totp_secret character varying,
    notification_type character varying NOT NULL,
    odoobot_state character varying,
    odoobot_failed boolean,
    sale_team_id integer,
    target_sales_won integer,
    target_sales_done integer,
    target_sales_invoiced integer,
    CONSTRAINT res_users_notification_type CHECK ((((notification_type)::text = 'email'::text) OR (NOT share)))
);

CREATE TABLE public.ir_model_data (
    id integer NOT NULL,
    create_uid integer,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text),
    write_uid integer,
    res_id integer,
    noupdate boolean DEFAULT false,
    name character varying NOT NULL,
    module character varying NOT NULL,
    model character varying NOT NULL,
    CONSTRAINT ir_model_data_name_nospaces CHECK (((name)::text !~~ '% %'::text))
);

ALTER TABLE ONLY public.ir_model_data ADD CONSTRAINT ir_model_data_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.res_users ADD CONSTRAINT res_users_login_key UNIQUE (login);
ALTER TABLE ONLY public.res_users ADD CONSTRAINT res_users_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX ir_model_data_module_name_uniq_index ON public.ir_model_data USING btree (module, name);

-- The users of the sample, with the admin's login renamed and the admin
-- deactivated with a TOTP secret, as a production database may have it.
INSERT INTO public.res_users (id, company_id, partner_id, active, login, password, share, totp_secret, notification_type) VALUES
 (1, 1, 2, false, '__system__', NULL, false, NULL, 'inbox'),
 (2, 1, 3, false, 'it-ops@example.com', '$pbkdf2-sha512$600000$fi8FwJhzrtW6d84ZYwxhrA$YSJPV9YHgH5P7L.xYtdzxZcJsj7WmZTZNjpAsq0VAa2QsSMmnuKBytb7hBCRC.k7qfpLGvLZpXwZwoa25KeDiw', false, 'JBSWY3DPEHPK3PXP', 'email'),
 (3, 1, 5, false, 'default', NULL, false, NULL, 'email'),
 (4, 1, 4, false, 'public', '$pbkdf2-sha512$600000$1TrHmDOGUIpRqlXK2VurVQ$W/OV4oGsj5iaWGwjkGo9W9T.8AxnGdeUXekAFQATWwsf.h67uG8ZKCPoM6BWT7wIbrdEcf0QYNFUUbT8y2jY5Q', true, NULL, 'email'),
 (6, 1, 7, true, 'admin', '$pbkdf2-sha512$600000$1TrHmDOGUIpRqlXK2VurVQ$W/OV4oGsj5iaWGwjkGo9W9T.8AxnGdeUXekAFQATWwsf.h67uG8ZKCPoM6BWT7wIbrdEcf0QYNFUUbT8y2jY5Q', false, NULL, 'email');

-- base.user_admin is id 2 (as in the sample), not the user whose login is
-- now "admin" (id 6).
INSERT INTO public.ir_model_data (id, res_id, noupdate, name, module, model) VALUES
 (2978, 1, true, 'user_root', 'base', 'res.users'),
 (2980, 2, true, 'user_admin', 'base', 'res.users'),
 (2981, 3, true, 'default_user', 'base', 'res.users'),
 (2982, 4, true, 'public_user', 'base', 'res.users'),
 (2990, 2, true, 'user_admin', 'x_custom', 'res.partner');
