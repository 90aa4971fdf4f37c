using System;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Allocation
{
    /// <summary>
    /// Finds the authentication server through the allocation chain (F6): the service server names
    /// the level-1 allocation server, each level answers from the device's key for that level, and
    /// the last one names the authentication server. With delegated allocation (F8) the service
    /// server walks the chain itself and answers in one request.
    /// </summary>
    public class AllocationWalker
    {
        // Entry plus at most four levels: a chain longer than that is a loop in the operator's tables.
        private const int MaxHops = DeviceConfig.MaxAllocationKeys + 1;

        private readonly ApiClient _api;
        private readonly DeviceConfig _config;
        private readonly IDeviceLog _log;

        public AllocationWalker(ApiClient api, DeviceConfig config, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _config = config ?? throw new ArgumentNullException(nameof(config));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>The base URL of the authentication server for this device.</summary>
        /// <exception cref="ApiException">A server did not answer, refused, or answered something that is not a hop.</exception>
        public string ResolveAuthServer()
        {
            return _config.DelegatedAllocation ? ResolveDelegated() : Walk();
        }

        private string ResolveDelegated()
        {
            DelegatedAllocationRequest request = new DelegatedAllocationRequest();
            request.Keys = _config.AllocationKeys;

            AllocationHop hop = (AllocationHop)Call(_config.ServiceUrl, Routes.ServiceResolve, request);
            if (hop.Role != HopRoles.Authentication || !IsUrl(hop.Url))
            {
                throw Unexpected(_config.ServiceUrl, "delegated allocation did not name an authentication server");
            }

            RequireSecure(hop.Url, _config.ServiceUrl);

            _log.Event("chain.delegated", hop.Url);
            return hop.Url;
        }

        private string Walk()
        {
            AllocationHop hop = (AllocationHop)Call(_config.ServiceUrl, Routes.ServiceEntry, null);
            string from = _config.ServiceUrl;
            int previousLevel = 0;

            for (int hops = 0; hops < MaxHops; hops++)
            {
                if (!IsUrl(hop.Url))
                {
                    throw Unexpected(from, "hop without a URL");
                }

                RequireSecure(hop.Url, from);

                if (hop.Role == HopRoles.Authentication)
                {
                    _log.Event("chain.end", hop.Url);
                    return hop.Url;
                }

                // Levels only go deeper, and only as deep as the device has keys.
                if (hop.Role != HopRoles.Allocation || hop.Level <= previousLevel || hop.Level > _config.AllocationKeys.Length)
                {
                    throw Unexpected(from, "hop to an unusable role or level");
                }

                _log.Event("chain.hop", "level " + hop.Level.ToString() + " at " + hop.Url);

                AllocationRequest request = new AllocationRequest();
                request.Level = hop.Level;
                request.Key = _config.AllocationKeys[hop.Level - 1];

                from = hop.Url;
                previousLevel = hop.Level;
                hop = (AllocationHop)Call(from, Routes.AllocationResolve, request);
            }

            throw Unexpected(from, "allocation chain is longer than four levels");
        }

        private object Call(string baseUrl, string route, object request)
        {
            try
            {
                return request == null
                    ? _api.Get(baseUrl, route, typeof(AllocationHop), null)
                    : _api.Post(baseUrl, route, request, typeof(AllocationHop), null);
            }
            catch (ApiException e)
            {
                _log.Event("chain.failed", e.Code + " at " + baseUrl);
                throw;
            }
        }

        /// <summary>A hop that steps down from https, or plain HTTP outside a lab, breaks the chain here.</summary>
        private void RequireSecure(string url, string from)
        {
            ApiException refusal = TransportRule.Refusal(url, from, _api.AllowPlainHttp);
            if (refusal != null)
            {
                _log.Event("chain.failed", refusal.Code + " at " + from);
                throw refusal;
            }
        }

        private ApiException Unexpected(string baseUrl, string problem)
        {
            _log.Event("chain.failed", FailureCodes.UnexpectedAnswer + " at " + baseUrl + ": " + problem);
            return new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.UnexpectedAnswer, 200, problem + " from " + baseUrl);
        }

        private static bool IsUrl(string value)
        {
            return value != null && (value.StartsWith("http://") || value.StartsWith("https://"));
        }
    }
}
