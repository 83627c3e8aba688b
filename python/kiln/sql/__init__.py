"""kiln.sql: PySpark's DataFrame and SQL API on kiln's columnar SQL engine.

    from kiln.sql import SparkSession, functions as F
    spark = SparkSession.builder.master("local[2]").appName("app").getOrCreate()
    df = spark.read.option("header", True).csv("access.csv")
    df.groupBy("status").count().orderBy(F.desc("count")).show()
"""
from . import functions, types
from .column import Column
from .dataframe import DataFrame, DataFrameNaFunctions
from .group import GroupedData
from .readwriter import DataFrameReader, DataFrameWriter
from .session import SparkSession
from .types import Row
from .udf import UDFRegistration, UserDefinedFunction
from .window import Window, WindowSpec
from ..errors import AnalysisException

__all__ = ["SparkSession", "DataFrame", "Column", "Row", "GroupedData", "Window", "WindowSpec",
           "DataFrameReader", "DataFrameWriter", "DataFrameNaFunctions", "UDFRegistration",
           "UserDefinedFunction", "AnalysisException", "functions", "types"]
