CREATE TABLE "devices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"host" text,
	"reported_host" text,
	"host_key" text GENERATED ALWAYS AS (coalesce(host, reported_host, 'device:' || id::text)) STORED NOT NULL,
	"token_hash" text NOT NULL,
	"status" text DEFAULT 'offline' NOT NULL,
	"status_since" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone,
	"description" jsonb,
	"agent_version" text,
	"enrolled_with" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "devices_kind_ck" CHECK ("devices"."kind" in ('edge', 'browser', 'android')),
	CONSTRAINT "devices_status_ck" CHECK ("devices"."status" in ('online', 'busy', 'offline')),
	CONSTRAINT "devices_name_ck" CHECK (length("devices"."name") between 1 and 100),
	CONSTRAINT "devices_token_hash_ck" CHECK ("devices"."token_hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "enrollment_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"max_uses" integer,
	"uses" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "enrollment_tokens_uses_ck" CHECK ("enrollment_tokens"."uses" >= 0 and ("enrollment_tokens"."max_uses" is null or "enrollment_tokens"."max_uses" >= 1))
);
--> statement-breakpoint
CREATE TABLE "parts" (
	"key" text PRIMARY KEY NOT NULL,
	"space" text NOT NULL,
	"kind" text NOT NULL,
	"spec" jsonb NOT NULL,
	"r" integer NOT NULL,
	"macs" bigint NOT NULL,
	"params" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subnets" (
	"id" text PRIMARY KEY NOT NULL,
	"space" text NOT NULL,
	"config" jsonb NOT NULL,
	"r" integer NOT NULL,
	"macs" bigint NOT NULL,
	"params" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subnets_cost_ck" CHECK ("subnets"."macs" >= 0 and "subnets"."params" >= 0 and "subnets"."r" > 0)
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"sha256" text PRIMARY KEY NOT NULL,
	"bytes" "bytea" NOT NULL,
	"size" bigint NOT NULL,
	"kind" text NOT NULL,
	"space" text NOT NULL,
	"subnet_id" text,
	"part_key" text,
	"weights" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifacts_sha_ck" CHECK ("artifacts"."sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "artifacts_size_ck" CHECK ("artifacts"."size" = octet_length("artifacts"."bytes")),
	CONSTRAINT "artifacts_kind_ck" CHECK ("artifacts"."kind" in ('subnet', 'part')),
	CONSTRAINT "artifacts_target_ck" CHECK (("artifacts"."kind" = 'subnet' and "artifacts"."subnet_id" is not null and "artifacts"."part_key" is null) or ("artifacts"."kind" = 'part' and "artifacts"."part_key" is not null and "artifacts"."subnet_id" is null))
);
--> statement-breakpoint
CREATE TABLE "sweeps" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sweeps_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"device_id" uuid NOT NULL,
	"space" text NOT NULL,
	"strategy" text NOT NULL,
	"count" integer NOT NULL,
	"seed" bigint,
	"settings" jsonb NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"remaining" integer NOT NULL,
	"start_at" timestamp with time zone DEFAULT now() NOT NULL,
	"repeat_every_ms" bigint,
	"previous_sweep_id" bigint,
	"cancel_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "sweeps_strategy_ck" CHECK ("sweeps"."strategy" in ('random', 'macs-stratified', 'list', 'blocks')),
	CONSTRAINT "sweeps_status_ck" CHECK ("sweeps"."status" in ('active', 'done', 'cancelled')),
	CONSTRAINT "sweeps_count_ck" CHECK ("sweeps"."count" >= 1 and "sweeps"."remaining" >= 0),
	CONSTRAINT "sweeps_repeat_ck" CHECK ("sweeps"."repeat_every_ms" is null or "sweeps"."repeat_every_ms" >= 1000)
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "jobs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"sweep_id" bigint NOT NULL,
	"device_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"space" text NOT NULL,
	"subnet_id" text,
	"part_key" text,
	"artifact_sha256" text,
	"anchor" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"not_before" timestamp with time zone DEFAULT now() NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"lease_owner" text,
	"leased_at" timestamp with time zone,
	"lease_expires_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "jobs_status_ck" CHECK ("jobs"."status" in ('queued', 'leased', 'done', 'failed', 'cancelled')),
	CONSTRAINT "jobs_target_ck" CHECK (("jobs"."subnet_id" is null) <> ("jobs"."part_key" is null)),
	CONSTRAINT "jobs_attempts_ck" CHECK ("jobs"."attempt" >= 0 and "jobs"."failures" >= 0 and "jobs"."max_attempts" between 1 and 100),
	CONSTRAINT "jobs_lease_ck" CHECK ("jobs"."status" <> 'leased' or ("jobs"."lease_expires_at" is not null and "jobs"."lease_owner" is not null))
);
--> statement-breakpoint
CREATE TABLE "measurements" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "measurements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_id" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"sweep_id" bigint NOT NULL,
	"device_id" uuid NOT NULL,
	"space" text NOT NULL,
	"subnet_id" text,
	"part_key" text,
	"anchor" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"runs" integer,
	"min_ms" double precision,
	"median_ms" double precision,
	"mean_ms" double precision,
	"p90_ms" double precision,
	"max_ms" double precision,
	"std_ms" double precision,
	"cv" double precision,
	"samples_ms" double precision[] DEFAULT '{}'::double precision[] NOT NULL,
	"rounds" integer DEFAULT 1 NOT NULL,
	"provenance" jsonb,
	"counted" boolean NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "measurements_status_ck" CHECK ("measurements"."status" in ('ok', 'unstable', 'failed')),
	CONSTRAINT "measurements_attempt_ck" CHECK ("measurements"."attempt" >= 1 and "measurements"."rounds" >= 1),
	CONSTRAINT "measurements_stats_ck" CHECK ("measurements"."status" = 'failed' or ("measurements"."runs" >= 1 and "measurements"."median_ms" is not null)),
	CONSTRAINT "measurements_nonneg_ck" CHECK (coalesce("measurements"."min_ms", 0) >= 0 and coalesce("measurements"."median_ms", 0) >= 0 and coalesce("measurements"."mean_ms", 0) >= 0 and coalesce("measurements"."p90_ms", 0) >= 0 and coalesce("measurements"."max_ms", 0) >= 0 and coalesce("measurements"."std_ms", 0) >= 0 and coalesce("measurements"."cv", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "twins" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "twins_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"device_id" uuid NOT NULL,
	"space" text NOT NULL,
	"family" text NOT NULL,
	"version" integer NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"metrics" jsonb NOT NULL,
	"model" jsonb NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"n_measurements" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "twins_n_ck" CHECK ("twins"."n_measurements" >= 0 and "twins"."version" >= 1)
);
--> statement-breakpoint
CREATE TABLE "accuracy_predictors" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "accuracy_predictors_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"space" text NOT NULL,
	"origin" text NOT NULL,
	"checkpoint_id" text,
	"version" integer NOT NULL,
	"metrics" jsonb NOT NULL,
	"model" jsonb NOT NULL,
	"n_records" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accuracy_predictors_origin_ck" CHECK ("accuracy_predictors"."origin" in ('trained', 'imported-reference'))
);
--> statement-breakpoint
CREATE TABLE "accuracy_records" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "accuracy_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"space" text NOT NULL,
	"checkpoint_id" text NOT NULL,
	"subnet_id" text NOT NULL,
	"config" jsonb NOT NULL,
	"r" integer NOT NULL,
	"top1" double precision NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accuracy_records_top1_ck" CHECK ("accuracy_records"."top1" >= 0 and "accuracy_records"."top1" <= 1),
	CONSTRAINT "accuracy_records_source_ck" CHECK ("accuracy_records"."source" in ('trainer', 'import'))
);
--> statement-breakpoint
CREATE TABLE "pareto_points" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pareto_points_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" bigint NOT NULL,
	"budget_ms" double precision,
	"config" jsonb NOT NULL,
	"subnet_id" text NOT NULL,
	"macs" bigint NOT NULL,
	"predicted_latency_ms" double precision NOT NULL,
	"predicted_accuracy" double precision,
	"measured_latency_ms" double precision,
	"verify_job_id" bigint,
	"chosen" boolean DEFAULT false NOT NULL,
	"dominated" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "search_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"device_id" uuid NOT NULL,
	"space" text NOT NULL,
	"objective" text NOT NULL,
	"budgets_ms" double precision[] NOT NULL,
	"twin_id" bigint NOT NULL,
	"twin_version" integer NOT NULL,
	"predictor_id" bigint,
	"predictor_version" integer,
	"params" jsonb NOT NULL,
	"seed" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "search_runs_objective_ck" CHECK ("search_runs"."objective" in ('accuracy', 'macs')),
	CONSTRAINT "search_runs_predictor_ck" CHECK ("search_runs"."objective" = 'macs' or "search_runs"."predictor_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_enrolled_with_enrollment_tokens_id_fk" FOREIGN KEY ("enrolled_with") REFERENCES "public"."enrollment_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_subnet_id_subnets_id_fk" FOREIGN KEY ("subnet_id") REFERENCES "public"."subnets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_part_key_parts_key_fk" FOREIGN KEY ("part_key") REFERENCES "public"."parts"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweeps" ADD CONSTRAINT "sweeps_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweeps" ADD CONSTRAINT "sweeps_previous_sweep_id_sweeps_id_fk" FOREIGN KEY ("previous_sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_sweep_id_sweeps_id_fk" FOREIGN KEY ("sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_subnet_id_subnets_id_fk" FOREIGN KEY ("subnet_id") REFERENCES "public"."subnets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_part_key_parts_key_fk" FOREIGN KEY ("part_key") REFERENCES "public"."parts"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_artifact_sha256_artifacts_sha256_fk" FOREIGN KEY ("artifact_sha256") REFERENCES "public"."artifacts"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "measurements" ADD CONSTRAINT "measurements_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "measurements" ADD CONSTRAINT "measurements_sweep_id_sweeps_id_fk" FOREIGN KEY ("sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "measurements" ADD CONSTRAINT "measurements_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "twins" ADD CONSTRAINT "twins_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pareto_points" ADD CONSTRAINT "pareto_points_run_id_search_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."search_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pareto_points" ADD CONSTRAINT "pareto_points_verify_job_id_jobs_id_fk" FOREIGN KEY ("verify_job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_runs" ADD CONSTRAINT "search_runs_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_runs" ADD CONSTRAINT "search_runs_twin_id_twins_id_fk" FOREIGN KEY ("twin_id") REFERENCES "public"."twins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_runs" ADD CONSTRAINT "search_runs_predictor_id_accuracy_predictors_id_fk" FOREIGN KEY ("predictor_id") REFERENCES "public"."accuracy_predictors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "devices_name_live_uq" ON "devices" USING btree ("name") WHERE "devices"."removed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "devices_token_hash_uq" ON "devices" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "devices_host_key_idx" ON "devices" USING btree ("host_key");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollment_tokens_hash_uq" ON "enrollment_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "parts_space_idx" ON "parts" USING btree ("space","kind");--> statement-breakpoint
CREATE INDEX "subnets_space_idx" ON "subnets" USING btree ("space","macs");--> statement-breakpoint
CREATE INDEX "artifacts_subnet_idx" ON "artifacts" USING btree ("subnet_id","weights");--> statement-breakpoint
CREATE INDEX "artifacts_part_idx" ON "artifacts" USING btree ("part_key","weights");--> statement-breakpoint
CREATE INDEX "sweeps_device_idx" ON "sweeps" USING btree ("device_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sweeps_previous_uq" ON "sweeps" USING btree ("previous_sweep_id");--> statement-breakpoint
CREATE INDEX "sweeps_repeat_idx" ON "sweeps" USING btree ("start_at") WHERE "sweeps"."repeat_every_ms" is not null and "sweeps"."status" <> 'cancelled';--> statement-breakpoint
CREATE INDEX "jobs_dispatch_idx" ON "jobs" USING btree ("device_id","not_before","id") WHERE "jobs"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "jobs_leased_idx" ON "jobs" USING btree ("lease_expires_at") WHERE "jobs"."status" = 'leased';--> statement-breakpoint
CREATE INDEX "jobs_leased_device_idx" ON "jobs" USING btree ("device_id") WHERE "jobs"."status" = 'leased';--> statement-breakpoint
CREATE INDEX "jobs_sweep_idx" ON "jobs" USING btree ("sweep_id","status");--> statement-breakpoint
CREATE INDEX "jobs_subnet_idx" ON "jobs" USING btree ("subnet_id");--> statement-breakpoint
CREATE UNIQUE INDEX "measurements_job_attempt_uq" ON "measurements" USING btree ("job_id","attempt");--> statement-breakpoint
CREATE INDEX "measurements_device_idx" ON "measurements" USING btree ("device_id","space","id");--> statement-breakpoint
CREATE INDEX "measurements_subnet_idx" ON "measurements" USING btree ("subnet_id","device_id");--> statement-breakpoint
CREATE INDEX "measurements_sweep_idx" ON "measurements" USING btree ("sweep_id");--> statement-breakpoint
CREATE UNIQUE INDEX "twins_version_family_uq" ON "twins" USING btree ("device_id","space","version","family");--> statement-breakpoint
CREATE UNIQUE INDEX "twins_active_uq" ON "twins" USING btree ("device_id","space") WHERE "twins"."active";--> statement-breakpoint
CREATE INDEX "twins_device_idx" ON "twins" USING btree ("device_id","space","version");--> statement-breakpoint
CREATE UNIQUE INDEX "accuracy_predictors_version_uq" ON "accuracy_predictors" USING btree ("space","version");--> statement-breakpoint
CREATE INDEX "accuracy_predictors_checkpoint_idx" ON "accuracy_predictors" USING btree ("space","checkpoint_id");--> statement-breakpoint
CREATE UNIQUE INDEX "accuracy_records_uq" ON "accuracy_records" USING btree ("space","checkpoint_id","subnet_id");--> statement-breakpoint
CREATE INDEX "pareto_points_run_idx" ON "pareto_points" USING btree ("run_id","budget_ms");--> statement-breakpoint
CREATE INDEX "pareto_points_subnet_idx" ON "pareto_points" USING btree ("subnet_id");--> statement-breakpoint
CREATE INDEX "search_runs_device_idx" ON "search_runs" USING btree ("device_id","space","created_at");