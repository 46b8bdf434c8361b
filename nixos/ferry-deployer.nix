# services.ferry-deployer: the deployer agent (`ferry deployer`) for hosts other than the Ferry server. It reads the
# signed manifest from the Ferry server (or straight from the cache's storage), substitutes the closures from the
# Ferry cache and runs this host's services as transient units in ferry.slice behind Caddy. See nixos/README.md.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.ferry-deployer;
  common = import ./common.nix { inherit lib pkgs; };
  inherit (lib) mkOption mkEnableOption mkIf mkDefault types;

  stateDir = "/var/lib/ferry-deployer";
  deployerCfg = cfg.settings.ferry.deployer;

  credentials = {
    aws-credentials = { file = cfg.s3CredentialsFile; env = "AWS_SHARED_CREDENTIALS_FILE"; };
  };

  configFile = if cfg.checkConfig
    then common.checkedConfig "ferry-deployer" "agent" cfg.package cfg.settings
    else common.format.generate "ferry-deployer.yaml" cfg.settings;

  section = options: types.submodule { freeformType = common.format.type; inherit options; };

  # http(s)://HOST/cache is both where the manifest is read and a substituter; file:// and s3:// are not
  # substituters Nix on this host can use (Debian's and NixOS's Nix read S3 only when built with it).
  isHttp = lib.hasPrefix "http://" cfg.manifestUri || lib.hasPrefix "https://" cfg.manifestUri;
in
{
  options.services.ferry-deployer = {
    enable = mkEnableOption "the Ferry deployer agent";

    package = mkOption {
      type = types.package;
      default = pkgs.ferry;
      defaultText = lib.literalExpression "pkgs.ferry (the flake's nixosModules.ferry-deployer sets its own package)";
      description = "The Ferry package.";
    };

    manifestUri = mkOption {
      type = types.str;
      example = "https://ferry.example.org/cache";
      description = ''
        Where the manifest is read: the Ferry server's cache (`http(s)://HOST/cache`, which also tells the agent of
        new generations at once), or the cache's storage (`file://` or `s3://`, polled).
      '';
    };

    trustedPublicKeys = mkOption {
      type = types.nonEmptyListOf types.str;
      example = [ "ferry.example.org-1:2jK6...=" ];
      description = ''
        Public keys (`name:base64`) whose signatures the deployer accepts on manifests and Nix accepts on the
        cache's paths. During a key rotation, list the old and the new key.
      '';
    };

    substituters = mkOption {
      type = types.listOf types.str;
      default = lib.optional isHttp cfg.manifestUri;
      defaultText = lib.literalExpression "[ manifestUri ] when it is http(s)://, else [ ]";
      description = "The Ferry cache as Nix substituters; added to `nix.settings.substituters`.";
    };

    s3CredentialsFile = common.credentialOption "An AWS shared credentials file for an s3:// manifest URI";

    settings = mkOption {
      description = "The agent's configuration, rendered to the YAML file given to `ferry deployer --config` (see docs/configuration.md).";
      default = { };
      type = section {
        ferry = mkOption {
          default = { };
          type = section {
            data-dir = mkOption { type = types.str; default = stateDir; description = "The agent's state."; };
            deployer = mkOption {
              default = { };
              type = section {
                manifest-uri = mkOption { type = types.str; default = cfg.manifestUri; defaultText = lib.literalExpression "manifestUri"; description = "See `manifestUri`."; };
                host = mkOption { type = types.str; default = config.networking.hostName; defaultText = lib.literalExpression "config.networking.hostName"; description = "The host name manifests use for this host."; };
                trusted-keys = mkOption { type = types.listOf types.str; default = cfg.trustedPublicKeys; defaultText = lib.literalExpression "trustedPublicKeys"; description = "See `trustedPublicKeys`."; };
                substituters = mkOption { type = types.listOf types.str; default = cfg.substituters; defaultText = lib.literalExpression "substituters"; description = "See `substituters`."; };
                profiles-dir = mkOption { type = types.str; default = "/nix/var/nix/profiles/ferry"; description = "Profiles that pin deployed closures (GC roots)."; };
                state-dir = mkOption { type = types.str; default = "${stateDir}/deployer"; description = "The agent's state."; };
                systemd-bus = mkOption { type = types.str; default = "system"; description = "`system`, `user` or a D-Bus address."; };
                unit-prefix = mkOption { type = types.str; default = "ferry-"; description = "Prefix of the units the deployer starts."; };
                caddy-admin-url = mkOption { type = types.str; default = "http://127.0.0.1:2019"; description = "Caddy's admin API."; };
              };
            };
          };
        };
      };
    };

    caddy.enable = mkOption {
      type = types.bool;
      default = true;
      description = "Enable Caddy with its admin API on loopback, where the deployer adds the services' routes.";
    };

    jvmOptions = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "-Xmx256m" ];
      description = "JVM options (passed as JAVA_TOOL_OPTIONS).";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = "Check the generated configuration at build time with `ferry check-config`.";
    };
  };

  config = mkIf cfg.enable {
    assertions = common.credentialAssertions "services.ferry-deployer" credentials ++ [
      {
        assertion = !config.services.ferry.enable || !config.services.ferry.deployer.enable;
        message = "services.ferry-deployer is for hosts without the Ferry server; on the server, use services.ferry.deployer.enable.";
      }
      {
        assertion = lib.hasPrefix "http://127.0.0.1:" deployerCfg.caddy-admin-url;
        message = "services.ferry-deployer: caddy-admin-url must be http://127.0.0.1:PORT: Caddy's admin API stays on loopback.";
      }
    ];

    environment.systemPackages = [ cfg.package ];

    # Nix on this host substitutes the deployed closures from the Ferry cache, checking the cache's signatures.
    nix.settings.substituters = cfg.substituters;
    nix.settings.trusted-public-keys = cfg.trustedPublicKeys;

    # The agent runs as root: it realises closures, writes profiles under /nix/var/nix/profiles and starts units
    # with the users the manifest names. It is still confined: read-only system, no home directories.
    systemd.services.ferry-deployer = {
      description = "Ferry deployer agent";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" "nix-daemon.socket" ] ++ lib.optional cfg.caddy.enable "caddy.service";
      path = [ config.nix.package ];
      environment = {
        HOME = stateDir;
        LC_ALL = "C.UTF-8";
      } // lib.optionalAttrs (cfg.jvmOptions != [ ]) {
        JAVA_TOOL_OPTIONS = lib.concatStringsSep " " cfg.jvmOptions;
      };
      serviceConfig = common.hardening // common.credentialSettings credentials // {
        ExecStart = "${lib.getExe cfg.package} deployer --config ${configFile}";
        StateDirectory = "ferry-deployer";
        StateDirectoryMode = "0700";
        WorkingDirectory = stateDir;
        Restart = "on-failure";
        RestartSec = 5;
        ReadWritePaths = [ deployerCfg.profiles-dir "/nix/var/nix/gcroots" ];
        # Root without capabilities it does not need; the units it starts get theirs from systemd, not from it.
        CapabilityBoundingSet = "";
      };
    };

    systemd.tmpfiles.rules = [ "d ${deployerCfg.profiles-dir} 0755 root root -" ];

    systemd.slices.ferry.description = "Services deployed by Ferry";

    services.caddy = mkIf cfg.caddy.enable {
      enable = true;
      # services.ferry on the same host already puts the admin API on loopback.
      globalConfig = mkIf (!(config.services.ferry.enable && config.services.ferry.caddy.enable))
        (common.caddyAdmin deployerCfg.caddy-admin-url);
    };

    networking.firewall.allowedTCPPorts = lib.optionals cfg.caddy.enable [ 80 443 ];
  };
}
