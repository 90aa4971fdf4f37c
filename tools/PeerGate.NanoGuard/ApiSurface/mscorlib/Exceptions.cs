// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/*Exception.cs and System/IO/IOException.cs
// (CoreLibrary 1.17.11). Only the constructors and properties those files declare publicly.

namespace System
{
    public class Exception
    {
        protected int HResult;

        public Exception() { }

        public Exception(string message) { }

        public Exception(string message, Exception innerException) { }

        public virtual string Message => throw null;

        public Exception InnerException => throw null;

        public virtual string StackTrace => throw null;

        public override string ToString() { throw null; }
    }

    public class SystemException : Exception
    {
        public SystemException() { }

        public SystemException(string message) { }

        public SystemException(string message, Exception innerException) { }
    }

    public class ApplicationException : Exception
    {
        public ApplicationException() { }

        public ApplicationException(string message) { }

        public ApplicationException(string message, Exception innerException) { }
    }

    public class ArgumentException : SystemException
    {
        public ArgumentException() { }

        public ArgumentException(string message) { }

        public ArgumentException(string message, Exception innerException) { }

        public ArgumentException(string message, string paramName, Exception innerException) { }

        public ArgumentException(string message, string paramName) { }

        public override string Message => throw null;

        public virtual string ParamName => throw null;
    }

    public class ArgumentNullException : ArgumentException
    {
        public ArgumentNullException() { }

        public ArgumentNullException(string paramName) { }

        public ArgumentNullException(string paramName, string message) { }
    }

    public class ArgumentOutOfRangeException : ArgumentException
    {
        public ArgumentOutOfRangeException() { }

        public ArgumentOutOfRangeException(string paramName) { }

        public ArgumentOutOfRangeException(string paramName, string message) { }
    }

    public class IndexOutOfRangeException : SystemException
    {
        public IndexOutOfRangeException() { }

        public IndexOutOfRangeException(string message) { }

        public IndexOutOfRangeException(string message, Exception innerException) { }
    }

    public class InvalidCastException : SystemException
    {
        public InvalidCastException() { }

        public InvalidCastException(string message) { }

        public InvalidCastException(string message, Exception innerException) { }
    }

    public class InvalidOperationException : SystemException
    {
        public InvalidOperationException() { }

        public InvalidOperationException(string message) { }

        public InvalidOperationException(string message, Exception innerException) { }
    }

    public class NotImplementedException : SystemException
    {
        public NotImplementedException() { }

        public NotImplementedException(string message) { }

        public NotImplementedException(string message, Exception innerException) { }
    }

    public class NotSupportedException : SystemException
    {
        public NotSupportedException() { }

        public NotSupportedException(string message) { }

        public NotSupportedException(string message, Exception innerException) { }
    }

    public class NullReferenceException : SystemException
    {
        public NullReferenceException() { }

        public NullReferenceException(string message) { }

        public NullReferenceException(string message, Exception innerException) { }
    }

    public class FormatException : SystemException
    {
        public FormatException() { }

        public FormatException(string message) { }

        public FormatException(string message, Exception innerException) { }
    }

    public class ObjectDisposedException : SystemException
    {
        public ObjectDisposedException() { }

        public ObjectDisposedException(string message) { }

        public ObjectDisposedException(string message, Exception innerException) { }
    }

    public class OutOfMemoryException : SystemException
    {
        public OutOfMemoryException() { }

        public OutOfMemoryException(string message) { }

        public OutOfMemoryException(string message, Exception innerException) { }
    }
}

namespace System.IO
{
    public class IOException : SystemException
    {
        public IOException() { }

        public IOException(string message) { }

        public IOException(string message, Exception innerException) { }
    }
}
