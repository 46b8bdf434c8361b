# services.ferry: the Ferry server (`ferry serve`), optionally with the co-resident deployer. See nixos/README.md.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.ferry;
  common = import ./common.nix { inherit lib pkgs; };
  inherit (lib) mkOption mkEnableOption mkIf mkDefault types;

  stateDir = "/var/lib/ferry";
  serverCfg = cfg.settings.ferry.server;
  deployerCfg = cfg.settings.ferry.deployer;

  credentials = {
    cache-secret-key = { file = cfg.cacheSecretKeyFile; env = "FERRY_CACHE_SECRET_KEY_FILE"; };
    upload-token = { file = cfg.uploadTokenFile; env = "FERRY_CACHE_UPLOAD_TOKEN_FILE"; };
    webhook-secret = { file = cfg.webhookSecretFile; env = "FERRY_WEBHOOK_SECRET_FILE"; };
    admin-token = { file = cfg.adminTokenFile; env = "FERRY_ADMIN_TOKEN_FILE"; };
    # An AWS shared credentials file, for s3:// caches with ?profile=NAME (or its [default] profile).
    aws-credentials = { file = cfg.s3CredentialsFile; env = "AWS_SHARED_CREDENTIALS_FILE"; };
  };

  configFile = if cfg.checkConfig
    then common.checkedConfig "ferry" "server" cfg.package cfg.settings
    else common.format.generate "ferry.yaml" cfg.settings;

  # A settings section that keeps the keys it does not declare (any key Ferry knows can be set).
  section = options: types.submodule { freeformType = common.format.type; inherit options; };
in
{
  options.services.ferry = {
    enable = mkEnableOption "Ferry, a build-and-deploy server for Nix";

    package = mkOption {
      type = types.package;
      default = pkgs.ferry;
      defaultText = lib.literalExpression "pkgs.ferry (the flake's nixosModules.ferry sets its own package)";
      description = "The Ferry package.";
    };

    settings = mkOption {
      description = ''
        Ferry's configuration, rendered to the YAML file given to `ferry serve --config` (see
        docs/configuration.md; every key there can be set). Secrets never go here: use the `*File` options.
      '';
      default = { };
      type = section {
        ferry = mkOption {
          default = { };
          type = section {
            data-dir = mkOption {
              type = types.str;
              default = stateDir;
              description = "Ferry's state: the default cache, the database, generated keys.";
            };
            server = mkOption {
              default = { };
              type = section {
                host = mkOption { type = types.str; default = "127.0.0.1"; description = "Address to listen on."; };
                port = mkOption { type = types.port; default = 8080; description = "Port to listen on."; };
              };
            };
            cache = mkOption {
              default = { };
              type = section {
                uri = mkOption {
                  type = types.str;
                  default = "file://${stateDir}/cache";
                  description = "The binary cache: `file:///abs/dir` or `s3://bucket?endpoint=...&region=...`.";
                };
              };
            };
            deployer = mkOption {
              default = { };
              type = section {
                enabled = mkOption {
                  type = types.bool;
                  default = cfg.deployer.enable;
                  defaultText = lib.literalExpression "config.services.ferry.deployer.enable";
                  description = "Whether `ferry serve` also runs the deployer for this host.";
                };
              };
            };
          };
        };
      };
    };

    cacheSecretKeyFile = common.credentialOption "The cache's ed25519 signing key (ferry keygen)";
    uploadTokenFile = common.credentialOption "The token that `nix copy --to` uploads must carry";
    webhookSecretFile = common.credentialOption "The forge webhook secret";
    adminTokenFile = common.credentialOption "The admin API token";
    s3CredentialsFile = common.credentialOption "An AWS shared credentials file for an s3:// cache";

    cachePublicKey = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "ferry.example.org-1:2jK6...=";
      description = ''
        The public half of the cache's signing key (`name:base64`). Required with the co-resident deployer, which
        verifies manifests with it. Without `cacheSecretKeyFile`, Ferry generates a key on first start and prints
        its public half; put that here.
      '';
    };

    domain = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "ferry.example.org";
      description = "The domain Ferry is reached at. With `caddy.enable`, Caddy serves it (TLS included) and proxies to Ferry.";
    };

    caddy.enable = mkOption {
      type = types.bool;
      default = cfg.domain != null;
      defaultText = lib.literalExpression "config.services.ferry.domain != null";
      description = "Configure Caddy: a virtual host for `domain` and the admin API on loopback for the deployer.";
    };

    deployer.enable = mkEnableOption ''
      the co-resident deployer: `ferry serve` also runs this host's services from the manifest, as transient
      systemd units in `ferry.slice` behind Caddy. The `ferry` user is allowed to manage systemd units by a polkit
      rule, which is root-equivalent (see nixos/README.md)
    '';

    jvmOptions = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "-Xmx1g" ];
      description = "JVM options (passed as JAVA_TOOL_OPTIONS).";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = "Check the generated configuration at build time with `ferry check-config`.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open `settings.ferry.server.port` (not needed behind Caddy).";
    };
  };

  config = mkIf cfg.enable {
    assertions = common.credentialAssertions "services.ferry" credentials ++ [
      {
        assertion = !cfg.deployer.enable || cfg.cachePublicKey != null;
        message = "services.ferry.deployer.enable needs services.ferry.cachePublicKey: the deployer only runs manifests signed by a trusted key.";
      }
      {
        assertion = !cfg.caddy.enable || cfg.domain != null;
        message = "services.ferry.caddy.enable needs services.ferry.domain.";
      }
      {
        assertion = cfg.settings.ferry.data-dir == stateDir || lib.hasPrefix "${stateDir}/" cfg.settings.ferry.data-dir;
        message = "services.ferry.settings.ferry.data-dir must be under ${stateDir} (the unit's StateDirectory; everything else is read-only to it).";
      }
    ];

    services.ferry.settings.ferry.deployer = mkIf cfg.deployer.enable {
      host = mkDefault config.networking.hostName;
      systemd-bus = mkDefault "system";
      trusted-keys = mkDefault [ cfg.cachePublicKey ];
      profiles-dir = mkDefault "/nix/var/nix/profiles/ferry";
      state-dir = mkDefault "${stateDir}/deployer";
      unit-prefix = mkDefault "ferry-";
      caddy-admin-url = mkDefault "http://127.0.0.1:2019";
    };

    # The command line too, for `ferry cache gc`, `ferry manifest ...` and the like.
    environment.systemPackages = [ cfg.package ];

    users.users.ferry = {
      isSystemUser = true;
      group = "ferry";
      home = stateDir;
      description = "Ferry build-and-deploy server";
    };
    users.groups.ferry = { };

    systemd.services.ferry = {
      description = "Ferry build-and-deploy server";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" "nix-daemon.socket" ] ++ lib.optional cfg.caddy.enable "caddy.service";
      # Builds and the deployer run nix (through the daemon); JGit needs no git binary, but flakes fetch with it.
      path = [ config.nix.package pkgs.git ];
      environment = {
        HOME = stateDir;
        LC_ALL = "C.UTF-8";
      } // lib.optionalAttrs (cfg.jvmOptions != [ ]) {
        JAVA_TOOL_OPTIONS = lib.concatStringsSep " " cfg.jvmOptions;
      };
      serviceConfig = common.hardening // common.credentialSettings credentials // {
        ExecStart = "${lib.getExe cfg.package} serve --config ${configFile}";
        User = "ferry";
        Group = "ferry";
        StateDirectory = "ferry";
        StateDirectoryMode = "0750";
        WorkingDirectory = stateDir;
        Restart = "on-failure";
        RestartSec = 5;
        # The deployer pins closures in profiles there; everything else outside the state directory is read-only.
        ReadWritePaths = lib.optional cfg.deployer.enable deployerCfg.profiles-dir;
        # Nix-daemon builds and D-Bus need nothing more than AF_UNIX; the JVM needs no capability.
        CapabilityBoundingSet = "";
        AmbientCapabilities = "";
      };
    };

    systemd.tmpfiles.rules = lib.optional cfg.deployer.enable "d ${deployerCfg.profiles-dir} 0755 ferry ferry -";

    # Deployed services run here, as transient units the deployer starts over D-Bus.
    systemd.slices.ferry = mkIf cfg.deployer.enable {
      description = "Services deployed by Ferry";
    };

    # StartTransientUnit carries no unit name for polkit to check (systemd issue #17224), so transient units cannot
    # be limited by name: the ferry user may manage any unit, which is root-equivalent. Named units (stop, reset) are
    # limited to the deployer's prefix.
    security.polkit.enable = mkIf cfg.deployer.enable true;
    security.polkit.extraConfig = mkIf cfg.deployer.enable ''
      polkit.addRule(function (action, subject) {
        if (action.id == "org.freedesktop.systemd1.manage-units" && subject.user == "ferry") {
          var unit = action.lookup("unit");
          if (unit === undefined || unit.indexOf("${deployerCfg.unit-prefix}") == 0) {
            return polkit.Result.YES;
          }
        }
      });
    '';

    services.caddy = mkIf cfg.caddy.enable {
      enable = true;
      globalConfig = common.caddyAdmin "http://127.0.0.1:2019";
      virtualHosts.${cfg.domain}.extraConfig = ''
        reverse_proxy ${serverCfg.host}:${toString serverCfg.port}
      '';
    };

    networking.firewall.allowedTCPPorts = lib.optional cfg.openFirewall serverCfg.port
      ++ lib.optionals cfg.caddy.enable [ 80 443 ];
  };
}
