-- website and delivery_carrier as Odoo 16.0 creates them, reduced to the
-- columns neutralization and its tests touch (the sample prod16 database
-- has neither module installed, so there is no dump to take them from).
CREATE TABLE public.website (
    id serial PRIMARY KEY,
    name character varying NOT NULL,
    sequence integer,
    domain character varying,
    company_id integer NOT NULL,
    default_lang_id integer NOT NULL,
    cdn_activated boolean,
    cdn_url character varying,
    robots_txt text
);

CREATE TABLE public.delivery_carrier (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    active boolean,
    delivery_type character varying NOT NULL,
    integration_level character varying,
    prod_environment boolean,
    product_id integer NOT NULL,
    company_id integer
);
