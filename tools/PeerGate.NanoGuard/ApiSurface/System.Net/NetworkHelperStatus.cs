// Mirrors nanoframework/System.Net nanoFramework.System.Net/NetworkHelper/NetworkHelperStatus.cs
// (NuGet nanoFramework.System.Net 1.11.60). Returned by WifiNetworkHelper.Status.

namespace nanoFramework.Networking
{
    public enum NetworkHelperStatus
    {
        None,
        Started,
        NetworkIsReady,
        FailedNoNetworkInterface,
        TokenExpiredWaitingIPAddress,
        TokenExpiredWaitingDateTime,
        ErrorConnetingToWiFiWhileScanning,
        ExceptionOccurred = 7,
        Reconnecting = 8,
    }
}
