// Mirrors nanoframework/nanoFramework.Json nanoFramework.Json/{JsonConvert,JsonSerializerOptions}.cs
// (NuGet nanoFramework.Json 2.2.213). Stream overloads and the IMemberResolver property are left out.

using System;

namespace nanoFramework.Json
{
    public static class JsonConvert
    {
        public static object DeserializeObject(string value, Type type) { throw null; }

        public static object DeserializeObject(string value, Type type, JsonSerializerOptions options) { throw null; }

        public static string SerializeObject(object value) { throw null; }
    }

    public sealed class JsonSerializerOptions
    {
        public JsonSerializerOptions() { }

        public static JsonSerializerOptions Default => throw null;

        public bool PropertyNameCaseInsensitive
        {
            get { throw null; }
            set { }
        }

        public bool ThrowExceptionWhenPropertyNotFound
        {
            get { throw null; }
            set { }
        }
    }
}
